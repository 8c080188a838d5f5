/**
 * How the console shows what customers name (lib/file-names.ts visibleParts): each control or bidirectional formatting
 * character as a visible `U+XXXX`, the rest as sent, joiners (Persian, emoji) untouched.
 */
import { visibleParts, visibleText } from '../../lib/file-names';

describe('visible file and profile names', () => {
  it('names a right-to-left override where it stands, so the real extension shows', () => {
    expect(visibleParts('passwd\u202Efdp.exe')).toEqual([{ text: 'passwd' }, { code: 'U+202E' }, { text: 'fdp.exe' }]);
    expect(visibleText('passwd\u202Efdp.exe')).toBe('passwd[U+202E]fdp.exe');
  });

  it('marks isolates, marks, C0 and C1 controls, and keeps joiners and astral characters whole', () => {
    expect(visibleText('\u2066a\u2069\u200F\u0007\u0085b')).toBe('[U+2066]a[U+2069][U+200F][U+0007][U+0085]b');
    expect(visibleText('می\u200Cخواهم \u{1F469}\u200D\u{1F4BB}.pdf')).toBe('می\u200Cخواهم \u{1F469}\u200D\u{1F4BB}.pdf');
    expect(visibleParts('')).toEqual([]);
  });
});
