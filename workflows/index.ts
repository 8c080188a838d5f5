/** Every workflow the worker registers. The worker bundles this file; keep it free of Node-only imports. */
export { conversationWorkflow } from './conversation.workflow';
export { campaignWorkflow } from './campaign.workflow';
export { retentionPurgeWorkflow } from './retention.workflow';
export { callWorkflow } from './call.workflow';
export { businessCallWorkflow } from './business-call.workflow';
