import { Router } from 'express';
import type { AnalyticsService } from '../analytics/analytics.service';
import { KpiQuery, TimelineQuery } from './analytics.schema';
import { allow, may } from './auth';
import { ConversationId } from './conversations.schema';
import { conversationDiagram } from '../machines/conversation.diagram';
import { parseIn } from './request';

/**
 * Analyst routes: a conversation's timeline and KPIs over a filter, both replayed from Temporal's histories, and the
 * machine's diagram they are drawn on.
 */
export function analyticsRoutes(analytics: AnalyticsService): Router {
  const router = Router();
  router.use('/v1/analytics', allow(...may.analyse));

  router.get('/v1/analytics/conversations/:conversationId/timeline', async (req, res) => {
    const id = parseIn('path', ConversationId, req.params.conversationId, 'conversationId');
    const { runId } = parseIn('query', TimelineQuery, req.query);
    res.json(await analytics.timeline(id, runId));
  });

  router.get('/v1/analytics/diagram', (_req, res) => {
    res.json({ diagram: conversationDiagram() });
  });

  router.get('/v1/analytics/kpis', async (req, res) => {
    const query = parseIn('query', KpiQuery, req.query);
    res.json(
      await analytics.kpis({
        ...(query.businessNumberId ? { businessNumberId: query.businessNumberId } : {}),
        ...(query.from ? { from: new Date(query.from) } : {}),
        ...(query.to ? { to: new Date(query.to) } : {}),
        ...(query.state ? { state: query.state } : {}),
      }),
    );
  });

  return router;
}
