import { visibleParts } from '../../lib/file-names';

/**
 * A short string a customer chose (a document's file name, their profile name), shown so it cannot disguise itself
 * or what stands next to it: isolated (`<bdi>`, Unicode UAX #9 §2 isolates) and with every control or bidirectional
 * formatting character as a visible `[U+XXXX]` marker, so `passwd\u202Efdp.exe` reads `passwd[U+202E]fdp.exe`,
 * not `passwdexe.pdf` (the "Trojan Source" spoofing, CVE-2021-42574). What was sent is kept as sent; only the view changes.
 */
export function CustomerText({ text }: { text: string }) {
  return (
    <bdi class="customer-text">
      {visibleParts(text).map((part, i) =>
        'code' in part ? (
          <span key={i} class="escaped" title={`${part.code}: a control or direction character the customer sent`}>
            [{part.code}]
          </span>
        ) : (
          part.text
        ),
      )}
    </bdi>
  );
}
