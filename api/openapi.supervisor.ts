import { z } from 'zod';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import { json, problem } from './openapi.responses';
import { AgentView, RegisterAgentBody } from './agent-registry.routes';
import { ApiKeyView, CreateApiKeyBody, IssuedApiKey, KeyIdParam } from './api-keys.routes';
import { AuditQuery, ConfigDraftBody, PublishBody, RollbackBody } from './machine-config.routes';
import { LegacyBody, ReceiptsBody, RegisterNumberBody, RetentionBody } from './numbers.routes';
import { DeadLetterView, DeadLettersQuery } from './dead-letters.routes';
import { CreateTemplateBody, EditTemplateBody, ListTemplatesQuery, TemplateKey } from './templates.routes';

/** Supervisor routes (templates, configuration, numbers, API keys); bodies come from the schemas the routes parse with. */
export function supervisorPaths(): ZodOpenApiPathsObject {
  // The router refuses a request without one (400); optional bodies say so.
  const body = (schema: z.ZodType, required = true) => ({ required, content: { 'application/json': { schema } } });
  const anyJson = z.record(z.string(), z.unknown());
  const templatePath = z.object({ key: TemplateKey });
  const numberPath = z.object({ phoneNumberId: z.string() });
  const forbidden = { '401': problem('No or unknown API key'), '403': problem('Not a supervisor key') };
  return {
    '/v1/templates': {
      post: {
        summary: 'Create a template and submit it to WhatsApp for approval (status PENDING)',
        requestBody: body(CreateTemplateBody),
        responses: { '201': json('Submitted', anyJson), '400': problem('Invalid template'), '404': problem('Unknown number'), '409': problem('Exists'), ...forbidden },
      },
      get: { summary: 'Templates with status, category and history', requestParams: { query: ListTemplatesQuery }, responses: { '200': json('Templates', anyJson) } },
    },
    '/v1/templates/sync': { post: { summary: "Fetch every template status from the broker now; mark DELETED those WhatsApp's list no longer holds; take in those made in WhatsApp Manager", responses: { '200': json('Counts: accounts, checked (templates WhatsApp listed), changed, deleted (of them), imported (made outside this connector, taken in for each registered number of the account)', anyJson), ...forbidden } } },
    '/v1/templates/{key}': {
      get: { summary: 'One template', requestParams: { path: templatePath }, responses: { '200': json('The template', anyJson), '404': problem('Unknown template') } },
      put: {
        summary: 'Edit a template; it goes back to WhatsApp for review (PENDING)',
        requestParams: { path: templatePath },
        requestBody: body(EditTemplateBody),
        responses: { '200': json('The template', anyJson), '404': problem('Unknown template'), '422': problem("WhatsApp would refuse it: a rule, or a status it may not be edited in (only APPROVED, REJECTED, PAUSED)"), '429': problem('An APPROVED template was edited within 24 hours or 10 times in 30 days (template_edit_limit_reached, retryAt)'), ...forbidden },
      },
      delete: { summary: 'Retire a template (PENDING_DELETION)', requestParams: { path: templatePath }, responses: { '200': json('The template', anyJson), ...forbidden } },
    },
    '/v1/config': { get: { summary: 'The published configuration and the draft (with its validation and diff)', responses: { '200': json('Config', anyJson), ...forbidden } } },
    '/v1/config/draft': {
      put: { summary: 'Save the draft (kept even while invalid); answers its validation', requestBody: body(ConfigDraftBody), responses: { '200': json('Draft and errors', anyJson), ...forbidden } },
    },
    '/v1/config/draft/validate': { post: { summary: 'Validate the draft; errors name the field', responses: { '200': json('valid and errors[]', anyJson), '409': problem('No draft') } } },
    '/v1/config/publish': {
      post: {
        summary: 'Publish the draft as the next version; running conversations use it from their next event',
        requestBody: body(PublishBody, false),
        responses: { '201': json('The new version', anyJson), '409': problem('No draft, or a concurrent publish'), '422': problem('invalid_config with errors[]'), ...forbidden },
      },
    },
    '/v1/config/rollback': {
      post: { summary: 'Publish an earlier version again, as the next version', requestBody: body(RollbackBody), responses: { '201': json('The new version', anyJson), '404': problem('Unknown version') } },
    },
    '/v1/config/versions': { get: { summary: 'Published versions, newest first', responses: { '200': json('Versions', anyJson) } } },
    '/v1/config/versions/{version}': {
      get: { summary: 'One published version', requestParams: { path: z.object({ version: z.string() }) }, responses: { '200': json('The version', anyJson), '404': problem('Unknown version') } },
    },
    '/v1/config/audit': { get: { summary: 'Who changed what, when', requestParams: { query: AuditQuery }, responses: { '200': json('Audit entries', anyJson) } } },
    '/v1/numbers': {
      post: {
        summary: "Register a business number (WhatsApp's numbering rules; ownership attested; verification method)",
        requestBody: body(RegisterNumberBody),
        responses: { '201': json('Registered, with notes', anyJson), '409': problem('number_exists (this id is registered) or display_number_exists (another id holds this display number, named in phoneNumberId)'), '422': problem('invalid_phone_number with reason'), ...forbidden },
      },
      get: { summary: 'Registered numbers', responses: { '200': json('Numbers', anyJson) } },
    },
    '/v1/numbers/{phoneNumberId}': { get: { summary: 'One number', requestParams: { path: numberPath }, responses: { '200': json('The number', anyJson), '404': problem('Unknown number') } } },
    '/v1/numbers/{phoneNumberId}/legacy': {
      put: {
        summary: 'Mark a number as legacy: every customer gets the replacement notice (once per period); nothing is routed',
        requestParams: { path: numberPath },
        requestBody: body(LegacyBody),
        responses: { '200': json('The number', anyJson), '404': problem('Unknown number'), '422': problem('Invalid replacement number') },
      },
      delete: { summary: 'Unmark a legacy number', requestParams: { path: numberPath }, responses: { '200': json('The number', anyJson) } },
    },
    '/v1/numbers/{phoneNumberId}/receipts': {
      put: {
        summary: "Switch read receipts and the typing indicator for this number's customers (both on by default)",
        requestParams: { path: numberPath },
        requestBody: body(ReceiptsBody),
        responses: { '200': json('The number', anyJson), '400': problem('Invalid body'), '404': problem('Unknown number') },
      },
    },
    '/v1/numbers/{phoneNumberId}/retention': {
      put: {
        summary: "Keep this number's messages, media and closed conversations for `days` (default RETENTION_DAYS); the retention purge applies it on its next run",
        requestParams: { path: numberPath },
        requestBody: body(RetentionBody),
        responses: { '200': json('The number', anyJson), '400': problem('Invalid body (days from 7 to 3650)'), '404': problem('Unknown number') },
      },
      delete: { summary: 'Back to the default retention (RETENTION_DAYS)', requestParams: { path: numberPath }, responses: { '200': json('The number', anyJson), '404': problem('Unknown number') } },
    },
    '/v1/api-keys': {
      post: { summary: 'Issue an API key for a role (shown once, stored hashed)', requestBody: body(CreateApiKeyBody), responses: { '201': json('The key', IssuedApiKey), '404': problem('unknown_agent: register the agent first'), ...forbidden } },
      get: { summary: 'API keys (without secrets)', responses: { '200': json('Keys', z.object({ keys: z.array(ApiKeyView) })) } },
    },
    '/v1/agents': {
      post: {
        summary: 'Register an agent (a unique id, the queues it serves); then issue it keys with POST /v1/api-keys',
        requestBody: body(RegisterAgentBody),
        responses: { '201': json('The agent', AgentView), '409': problem('agent_exists'), ...forbidden },
      },
      get: { summary: 'Registered agents', responses: { '200': json('Agents', z.object({ agents: z.array(AgentView) })), ...forbidden } },
    },
    '/v1/dead-letters': {
      get: {
        summary: 'Webhook parts the connector could not use (acknowledged to the broker, kept for a replay), newest first',
        description:
          'The newest `limit` letters (100 by default), newest first. When `hasOlder` is true, the page after is `?before=<the last letter id of this page>`, until `hasOlder` is false.',
        requestParams: { query: DeadLettersQuery },
        responses: {
          '200': json('Dead letters', z.object({ deadLetters: z.array(DeadLetterView), hasOlder: z.boolean() })),
          '404': problem('unknown_dead_letter: `before` names no dead letter'),
          ...forbidden,
        },
      },
    },
    '/v1/api-keys/{keyId}': {
      delete: { summary: 'Revoke a key', requestParams: { path: z.object({ keyId: KeyIdParam }) }, responses: { '204': { description: 'Revoked' }, '404': problem('Unknown key') } },
    },
  };
}
