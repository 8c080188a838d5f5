/**
 * `text` as a literal inside a `$regex` pattern (MongoDB and FerretDB take the same PCRE syntax): every
 * metacharacter escaped, so an id or a customer key containing `.` or `+` matches only itself.
 */
export const escapeRegex = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
