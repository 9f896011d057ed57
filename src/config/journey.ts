// The config's journey section: the menus and the knowledge base on disk, the hop's deadline, the
// question quota and subscription, the clock and country the phones live in.
// It must not read process.env nor load the files it names: config.ts hands it the values.
import { z } from 'zod';
import { isCountryCode } from '../phone.ts';
import { int } from './fields.ts';

/** What the caller goes through: menus, knowledge, quota, subscription. */
export const JOURNEY_FIELDS = {
  MENUS_DIR: z.string().min(1).default('./menus'),
  KNOWLEDGE_DIR: z.string().default('./knowledge'),
  KNOWLEDGE_MAX_PASSAGES: int(0, 10).default(2),
  KNOWLEDGE_MAX_TOKENS: int(50, 1500).default(300),
  KNOWLEDGE_MIN_RELEVANCE: int(0, 100).default(40),
  HOP_DEADLINE_MS: int(500, 14_000).default(5000),
  DAILY_QUESTION_QUOTA: int(0, 10_000).default(5),
  SUBSCRIPTION_PRICE: z.string().min(1).max(20).default('KES 20'),
  SUBSCRIPTION_DAYS: int(1, 366).default(30),
  TIMEZONE_OFFSET_MINUTES: int(-720, 840).default(180),
  DEFAULT_COUNTRY: z
    .string()
    .transform((v) => v.trim().toUpperCase())
    .refine(isCountryCode, 'must be a two-letter country code (ISO 3166-1), e.g. KE')
    .default('KE'),
};
