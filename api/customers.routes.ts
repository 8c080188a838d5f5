import { Router, type Response } from 'express';
import { allow, may, principalOf } from './auth';
import { CustomerId, CustomerLookupQuery } from './customers.schema';
import { parseIn } from './request';
import type { CustomerService } from '../services/customers.service';
import type { ConversationService } from '../services/conversations.service';
import { narrowedAgent } from '../services/visibility';

const read = allow(...may.readConversations);

/**
 * Who a customer is: by id, by any identifier, or by one of their conversations. Whoever reads conversations may,
 * under the same visibility (an agent narrowed to their own conversations sees only those, and only such people).
 */
export function customerRoutes(customers: CustomerService, conversations: Pick<ConversationService, 'maySee' | 'agentVisibility'>): Router {
  const router = Router();
  // Undefined for viewers who read everything: they also see people with no conversation yet.
  const visibleTo = (res: Response) => {
    const viewer = principalOf(res);
    if (!narrowedAgent(viewer, conversations.agentVisibility)) return undefined;
    return (doc: Parameters<ConversationService['maySee']>[0]) => conversations.maySee(doc, viewer);
  };
  router.get('/v1/customers', read, async (req, res) => {
    res.json(await customers.lookup(parseIn('query', CustomerLookupQuery, req.query), visibleTo(res)));
  });
  router.get('/v1/customers/:customerId', read, async (req, res) => {
    res.json(await customers.get(parseIn('path', CustomerId, req.params.customerId), visibleTo(res)));
  });
  return router;
}
