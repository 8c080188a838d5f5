/** Where the tool writes; tests pass their own. */
export interface AnalystIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown; isTTY?: boolean };
}
