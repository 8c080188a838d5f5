/**
 * How an agent sends a template from a chat that has no buttons (the SIP chat in page mode). One text, because the
 * parser's refusal (integrations/sip) and the workflow's window-closed notice both teach it.
 */
export const TEMPLATE_COMMAND_HELP = 'Send one with: /template <name> <language> [param1|param2|…]';
