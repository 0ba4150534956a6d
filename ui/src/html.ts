/** htm bound to Preact's h: the views' template tag. */
import { h } from 'preact';
import htm from 'htm';

export const html = htm.bind(h);
