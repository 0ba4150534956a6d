/**
 * The NodeReady event of an agent that registers again: added to the
 * transaction of its node's Ready status (registerNode's onReady), so a
 * node back Ready always has its event, whoever is killed right after.
 */
import { lookupKind } from '../api/kinds.js';
import { Store } from '../store/store.js';
import type { OnReady } from '../store/node-register.js';
import { newEvent } from './event.js';

const EVENT = lookupKind('Event')!;

/** Told only of a return (NotReady before); a new node is not "back". `source`: the agent's recorder's, agent/<node>. */
export const nodeBackEvent =
  (source: string, now: () => Date = () => new Date()): OnReady =>
  (txn, node, prev) => {
    if (prev?.state !== 'NotReady') return;
    const name = node.metadata.name;
    Store.addCreate(txn, EVENT, newEvent(node, 'Normal', 'NodeReady', `node ${name} is back: its agent registered again`, source, now().toISOString()));
  };

/** The source an agent's events carry for its node (its EventRecorder's). */
export const agentSource = (node: string): string => `agent/${node}`;
