/**
 * An agent id as the registry keeps it (POST /v1/agents) and as the contact centre names it on SIP (`X-Agent-Id`,
 * SIP_AGENT_HEADER): a letter or digit, then letters, digits and `. _ @ -`, up to 128 characters. Pure.
 */
export const AGENT_ID = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/;
export const AGENT_ID_RULE = 'letters, digits and . _ @ -, up to 128';
