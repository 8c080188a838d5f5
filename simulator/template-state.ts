import type { SimTemplate } from './template-manager';
import { jsonStateFile } from './state-file';

/**
 * WhatsApp's side of the templates kept in a file (simulator/state-file.ts), so that `npm start` restarted on one
 * `.data` finds the account's templates (ids, statuses, categories, quality, components) where WhatsApp would: the
 * connector's store survives a restart, and a simulator that forgot them refused every template send with 132001.
 */
export interface TemplateState {
  /** The templates kept, [] when there is no file yet. */
  load(): SimTemplate[];
  /** Writes them all. */
  save(templates: Iterable<SimTemplate>): void;
}

export function templateStateFile(file: string | undefined): TemplateState {
  const state = jsonStateFile<{ templates?: SimTemplate[] }>(file);
  return {
    load() {
      const kept = state.load();
      return Array.isArray(kept?.templates) ? kept.templates : [];
    },
    save: (templates) => state.save({ templates: [...templates] }),
  };
}
