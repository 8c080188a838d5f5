/**
 * A registered agent: the identity agent keys are issued to. The `_id` is the agent id (what the contact centre's
 * SIP answer names and what a reply records as its sender), unique by construction.
 */
export interface AgentDoc {
  _id: string;
  /** Display name. */
  name: string;
  /** Queues this agent serves: under the `own` visibility policy it reads the conversations waiting in them. */
  queues: string[];
  createdAt: Date;
  createdBy: string;
}

/** Who may do what. Each API key belongs to exactly one role. */
export const roles = ['integrator', 'agent', 'supervisor', 'analyst'] as const;
export type Role = (typeof roles)[number];
export interface ApiKeyDoc {
  /** sha256 of the key, hex: the key itself is shown once and never stored. */
  _id: string;
  /** Public handle for listing and revoking (the first characters of the hash). */
  keyId: string;
  role: Role;
  name: string;
  /** Agent keys only: the registered agent (agents collection) the key speaks for. */
  agentId?: string;
  createdAt: Date;
  createdBy: string;
  revokedAt?: Date;
}
