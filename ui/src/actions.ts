/**
 * Actions: a button that opens a confirm dialog (a native <dialog> shown modal: focus moves
 * into it and stays there, Escape cancels, focus returns to the button), then calls the API.
 * The result shows through the watch streams; a refusal shows the API's message, field and rule.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api.js';
import { html } from './html.js';

export interface ActionProps {
  /** The button's text. */
  label: string;
  /** The dialog's title and its confirming button's text. */
  title: string;
  confirm?: string;
  danger?: boolean;
  /** What the action does, in words; and any inputs (read by run from the dialog's form). */
  children?: ComponentChildren;
  run: (form: HTMLFormElement) => Promise<unknown>;
  id?: string;
}

function errorLines(e: unknown): { message: string; details: string[] } {
  if (e instanceof ApiError) return { message: `${e.status ? `${e.status} ` : ''}${e.code}: ${e.message}`, details: e.details.map((d) => `${d.field || '(object)'}${d.rule ? ` [${d.rule}]` : ''}: ${d.message ?? ''}`) };
  return { message: String(e), details: [] };
}

export function Action({ label, title, confirm = label, danger = false, children, run, id }: ActionProps) {
  const dlg = useRef<HTMLDialogElement>(null);
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ message: string; details: string[] } | null>(null);
  useEffect(() => {
    const d = dlg.current;
    if (!d) return;
    if (open && !d.open) {
      d.showModal();
      // the input, else the confirming button of a harmless action; a dangerous one starts on Cancel
      const q = (sel: string) => d.querySelector<HTMLElement>(sel);
      (q('input') ?? q('[data-confirm]:not(.danger)') ?? q('button'))?.focus();
    }
    if (!open && d.open) d.close();
  }, [open]);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const form = e.currentTarget as HTMLFormElement;
      await run(form);
      setOpen(false);
    } catch (err) {
      setError(errorLines(err));
    } finally {
      setBusy(false);
    }
  };
  const titleId = `act-${id ?? label.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  return html`<button type="button" class=${`act${danger ? ' danger' : ''}`} data-action=${id ?? label} onClick=${() => { setError(null); setOpen(true); }}>${label}</button>
    <dialog ref=${dlg} class="confirm" aria-labelledby=${titleId} onClose=${() => setOpen(false)} data-dialog=${id ?? label}>
      ${open ? html`<form method="dialog" onSubmit=${submit}>
        <h2 id=${titleId}>${title}</h2>
        <div class="confirm-body">${children}</div>
        ${error ? html`<div class="confirm-error" role="alert"><b>${error.message}</b>${error.details.length ? html`<ul>${error.details.map((d) => html`<li>${d}</li>`)}</ul>` : null}</div>` : null}
        <div class="confirm-buttons">
          <button type="button" onClick=${() => setOpen(false)} disabled=${busy}>Cancel</button>
          <button type="submit" class=${danger ? 'danger' : 'primary'} disabled=${busy} data-confirm="1">${busy ? 'Working…' : confirm}</button>
        </div>
      </form>` : null}
    </dialog>`;
}

export const Actions = ({ children }: { children: ComponentChildren }) => html`<div class="actions" role="group" aria-label="Actions">${children}</div>`;
