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

/**
 * What a customer wrote (a message's text, a quote of it, an edit, a location's name), shown as written but isolated
 * (`<bdi>`, direction from its own first strong letter, Unicode UAX #9 §2 isolates): a right-to-left override
 * (U+202E) inside it reorders only its own text, never the quote marks, buttons or lines beside it, and Arabic or
 * Hebrew reads right to left within it. Unlike {@link CustomerText} nothing is marked: a message's text may carry
 * direction marks for good reasons (U+200F in mixed Arabic and numbers).
 */
export function MessageText({ text }: { text: string }) {
  return (
    <bdi class="message-text" dir="auto">
      {text}
    </bdi>
  );
}
