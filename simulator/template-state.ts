import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { SimTemplate } from './template-manager';

/**
 * WhatsApp's side of the templates kept in a file, so that `npm start` restarted on one `.data` finds the account's
 * templates (ids, statuses, categories, quality, components) where WhatsApp would: the connector's store survives a
 * restart, and a simulator that forgot them refused every template send with 132001. Without a file (tests,
 * benchmarks) nothing is kept. Written whole after every change (a demo holds a few templates), through a temporary
 * file renamed over the old one, so a stop mid-write leaves the previous state rather than half a file.
 */
export interface TemplateState {
  /** The templates kept, [] when there is no file yet. */
  load(): SimTemplate[];
  /** Writes them all. */
  save(templates: Iterable<SimTemplate>): void;
}

export function templateStateFile(file: string | undefined): TemplateState {
  if (!file) return { load: () => [], save: () => undefined };
  return {
    load() {
      if (!existsSync(file)) return [];
      const kept = JSON.parse(readFileSync(file, 'utf8')) as { templates?: SimTemplate[] };
      return Array.isArray(kept.templates) ? kept.templates : [];
    },
    save(templates) {
      mkdirSync(dirname(file), { recursive: true });
      const temporary = `${file}.${process.pid}.tmp`;
      writeFileSync(temporary, JSON.stringify({ templates: [...templates] }, null, 1));
      renameSync(temporary, file);
    },
  };
}
