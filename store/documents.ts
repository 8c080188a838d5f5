/**
 * Every document type the store keeps, by collection family. `store/db.ts` imports only these files (no store file),
 * so the stores and the collections they type form no import circle.
 */
export * from './message.documents';
export * from './access.documents';
export * from './settings.documents';
export * from './intake.documents';
