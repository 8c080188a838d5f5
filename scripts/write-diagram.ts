/** `npm run diagram`: regenerates the machine diagram embedded in README.md from the machine definition. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { conversationDiagram } from '../machines/conversation.diagram';

export const README = join(__dirname, '../README.md');
export const START = '<!-- machine-diagram:start (npm run diagram) -->';
export const END = '<!-- machine-diagram:end -->';

export function embedDiagram(readme: string): string {
  const before = readme.slice(0, readme.indexOf(START) + START.length);
  const after = readme.slice(readme.indexOf(END));
  return `${before}\n\`\`\`mermaid\n${conversationDiagram()}\`\`\`\n${after}`;
}

if (require.main === module) {
  writeFileSync(README, embedDiagram(readFileSync(README, 'utf8')));
  console.log('README.md: machine diagram regenerated');
}
