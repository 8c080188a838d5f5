/**
 * What every operation of the OpenAPI document carries besides its own schemas: a stable `operationId` (client
 * generators name their methods after it, so renaming one breaks integrators' code: add, never rename) and the 401
 * that every route behind an API key answers. The lint test (test/api/openapi-lint.unit.test.ts, Redocly's recommended
 * rules) fails for an operation missing here: add its line when you add a path.
 */

/** `METHOD /path` → operationId (camelCase verb first, the resource after it). */
export const operationIds: Readonly<Record<string, string>> = {
  'POST /v1/conversations': 'startConversation',
  'GET /v1/conversations': 'listConversations',
  'GET /v1/conversations/{conversationId}': 'getConversation',
  'POST /v1/conversations/{conversationId}/messages': 'sendMessage',
  'GET /v1/conversations/{conversationId}/messages': 'listMessages',
  'POST /v1/conversations/{conversationId}/read': 'markMessagesRead',
  'POST /v1/conversations/{conversationId}/typing': 'showTypingIndicator',
  'POST /v1/conversations/{conversationId}/close': 'closeConversation',
  'GET /v1/conversations/{conversationId}/templates': 'listConversationTemplates',
  'GET /v1/customers': 'findCustomer',
  'GET /v1/customers/{customerId}': 'getCustomer',
  'DELETE /v1/customers/{customerId}': 'eraseCustomer',
  'GET /v1/whoami': 'whoAmI',
  'GET /v1/console/live': 'streamConsolePage',
  'GET /v1/console/live/conversations': 'streamConversations',
  'GET /v1/console/live/conversations/{conversationId}': 'streamConversation',
  'GET /v1/console/live/agent': 'streamAgentConversations',
  'GET /v1/console/live/templates': 'streamTemplates',
  'GET /v1/agent/conversations': 'listAgentConversations',
  'POST /v1/agent/conversations/{conversationId}/transfer': 'transferConversation',
  'GET /v1/analytics/diagram': 'getMachineDiagram',
  'GET /v1/analytics/conversations/{conversationId}/timeline': 'getConversationTimeline',
  'GET /v1/analytics/kpis': 'getKpis',
  'GET /v1/conversations/{conversationId}/call-permission': 'getConversationCallPermission',
  'POST /v1/campaigns': 'createCampaign',
  'GET /v1/campaigns/{campaignId}': 'getCampaign',
  'GET /v1/campaigns/{campaignId}/recipients': 'listCampaignRecipients',
  'POST /v1/campaigns/{campaignId}/pause': 'pauseCampaign',
  'POST /v1/campaigns/{campaignId}/resume': 'resumeCampaign',
  'POST /v1/campaigns/{campaignId}/cancel': 'cancelCampaign',
  'POST /v1/media': 'uploadMedia',
  'GET /v1/media/{mediaId}': 'getMedia',
  'POST /v1/templates': 'createTemplate',
  'GET /v1/templates': 'listTemplates',
  'POST /v1/templates/sync': 'syncTemplates',
  'GET /v1/templates/{key}': 'getTemplate',
  'PUT /v1/templates/{key}': 'editTemplate',
  'DELETE /v1/templates/{key}': 'deleteTemplate',
  'GET /v1/config': 'getConfig',
  'PUT /v1/config/draft': 'saveConfigDraft',
  'POST /v1/config/draft/validate': 'validateConfigDraft',
  'POST /v1/config/publish': 'publishConfig',
  'POST /v1/config/rollback': 'rollbackConfig',
  'GET /v1/config/versions': 'listConfigVersions',
  'GET /v1/config/versions/{version}': 'getConfigVersion',
  'GET /v1/config/audit': 'listConfigAudit',
  'POST /v1/numbers': 'registerNumber',
  'GET /v1/numbers': 'listNumbers',
  'GET /v1/numbers/{phoneNumberId}': 'getNumber',
  'PUT /v1/numbers/{phoneNumberId}/legacy': 'markNumberLegacy',
  'DELETE /v1/numbers/{phoneNumberId}/legacy': 'unmarkNumberLegacy',
  'PUT /v1/numbers/{phoneNumberId}/receipts': 'setNumberReceipts',
  'PUT /v1/numbers/{phoneNumberId}/retention': 'setNumberRetention',
  'DELETE /v1/numbers/{phoneNumberId}/retention': 'resetNumberRetention',
  'PUT /v1/numbers/{phoneNumberId}/sending': 'setNumberSending',
  'GET /v1/alerts': 'listAlerts',
  'GET /v1/alerts/{alertId}': 'getAlert',
  'POST /v1/alerts/{alertId}/resolve': 'resolveAlert',
  'GET /v1/pricing/rate-card': 'getRateCard',
  'PUT /v1/pricing/rate-card': 'setRateCard',
  'GET /v1/numbers/{phoneNumberId}/blocked-users': 'listBlockedUsers',
  'DELETE /v1/numbers/{phoneNumberId}/blocked-users/{waId}': 'unblockUser',
  'POST /v1/conversations/{conversationId}/block': 'blockCustomer',
  'DELETE /v1/conversations/{conversationId}/block': 'unblockCustomer',
  'POST /v1/api-keys': 'createApiKey',
  'GET /v1/api-keys': 'listApiKeys',
  'DELETE /v1/api-keys/{keyId}': 'revokeApiKey',
  'POST /v1/agents': 'registerAgent',
  'GET /v1/agents': 'listAgents',
  'GET /v1/dead-letters': 'listDeadLetters',
  'POST /v1/erasures': 'createErasure',
  'GET /v1/erasures': 'listErasures',
  'POST /codec/encode': 'encodePayloads',
  'POST /codec/decode': 'decodePayloads',
  'GET /webhooks/whatsapp': 'verifyWebhookSubscription',
  'POST /webhooks/whatsapp': 'receiveWebhook',
};

const methods = ['get', 'put', 'post', 'delete', 'patch'] as const;

interface OperationObject {
  operationId?: string;
  security?: unknown[];
  responses?: Record<string, unknown>;
}

/**
 * Completes the generated document in place: each operation gets its operationId from {@link operationIds} (one
 * declared inline wins), and each operation behind an API key (no `security: []` of its own) documents the 401
 * that the auth middleware answers for a missing or unknown key, with the document's Problem schema.
 */
export function completeOperations<T extends { paths?: Record<string, object> }>(doc: T): T {
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of methods) {
      const operation = (item as Record<string, OperationObject | undefined>)[method];
      if (!operation) continue;
      operation.operationId ??= operationIds[`${method.toUpperCase()} ${path}`];
      const public_ = Array.isArray(operation.security) && operation.security.length === 0;
      if (!public_ && operation.responses && !operation.responses['401']) {
        operation.responses['401'] = {
          description: 'Missing or unknown API key (unauthorized); too many from one address: 429 too_many_failed_authentications',
          content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
        };
      }
    }
  }
  return doc;
}
