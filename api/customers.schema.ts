import { z } from 'zod';
import 'zod-openapi';
import { ConversationId } from './conversations.schema';

/** Request and response schemas of the customer API (the registry of who is who). */

export const CustomerId = z
  .string()
  .regex(/^cus_[a-z0-9]{13}[a-f0-9]{8}$/, 'expected cus_…')
  .meta({ description: 'A customer (person) id', example: 'cus_0mhlw3k1c0001a1b2c3d4' });

export const CustomerLookupQuery = z
  .strictObject({
    identifier: z
      .string()
      .min(1)
      .max(160)
      .optional()
      .meta({ description: 'A phone number in any common writing, a BSUID (`US.…`), a parent BSUID (`US.ENT.…`) or `@username`' }),
    conversationId: ConversationId.optional(),
  })
  .refine((q) => (q.identifier === undefined) !== (q.conversationId === undefined), { message: 'give identifier or conversationId' });

const CustomerConversation = z.object({
  conversationId: ConversationId,
  businessNumberId: z.string(),
  state: z.string(),
  updatedAt: z.string().meta({ description: 'Last activity (ISO time)' }),
});

export const CustomerView = z
  .object({
    id: CustomerId,
    conversationKey: z.string().meta({ description: 'The customer part of their conversation ids, wa:<phone-number id>:<conversationKey>' }),
    waId: z.string().optional().meta({ description: 'The phone number WhatsApp knows them by now; sends go here while it is known' }),
    userId: z.string().optional().meta({ description: 'Business-scoped user id (BSUID); sends go here (`recipient`) when no phone number is known' }),
    parentUserId: z.string().optional(),
    username: z.string().optional(),
    profileName: z.string().optional(),
    formerPhones: z.array(z.string()).meta({ description: 'Numbers they changed away from; never sent to again' }),
    identifiers: z
      .array(z.object({ kind: z.enum(['phone', 'bsuid', 'parent_bsuid', 'username']), value: z.string() }))
      .meta({ description: 'Every identifier that resolves to this customer (phone numbers in person form)' }),
    mergedFrom: z.array(CustomerId).meta({ description: 'Customer ids found later to be this person; they answer this customer' }),
    conversations: z.array(CustomerConversation).meta({ description: 'Across business numbers, newest activity first' }),
  })
  .meta({ id: 'Customer' });
export type CustomerView = z.infer<typeof CustomerView>;
