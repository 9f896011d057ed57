// The phone's profile for a hop (issue 14 item 1, issue 16 item 13): the session store's cached
// copy when it has one (no extra round trip: begin and peek read it), else the records store's,
// the system of record, read with a bounded wait and then cached, an empty profile too, so a phone
// with nothing recorded does not cost a read every hop. A restart of the embedded default, a lost
// Redis (FLUSHALL) or a failover therefore loses nothing: the next hop refills the cache.
// Fields a store cached before the records store existed (no fill mark) are written to it first.
// Must not decide anything about the journey: it only says what the phone's profile is.
import type { HopLogger } from '../logger.ts';
import type { RecordsStore, Within } from '../records/types.ts';
import type { HopKey, HopSnapshot, SessionStore } from '../session/types.ts';
import type { PhoneProfile } from '../types.ts';

/**
 * A miss waits this long at most for the records store: a stuck disk costs the phone its
 * remembered language for one hop (not cached: the next hop asks again), never the deadline.
 */
export const RECORDS_READ_MS = 250;

export interface ProfileDeps {
  records: RecordsStore;
  store: Pick<SessionStore, 'cacheProfile'>;
  clock: () => number;
}

export function createProfiles({ records, store, clock }: ProfileDeps) {
  /** Fields only the cache holds, from before the records store: recorded, so a lost cache keeps them. */
  async function adopt(phoneKey: string, cached: PhoneProfile, recorded: PhoneProfile, within: Within) {
    const profile = { ...recorded };
    if (cached.lang !== undefined && recorded.lang === undefined) {
      // At 0: older than any choice the records store holds.
      await records.setLanguage(phoneKey, cached.lang, 0, within);
      profile.lang = cached.lang;
    }
    const until = cached.subscribedUntil;
    const now = clock();
    if (until !== undefined && until > now && until > (recorded.subscribedUntil ?? 0)) {
      const { subscription } = await records.addSubscription(
        {
          id: `cache:${phoneKey}:${until}`,
          phoneHash: phoneKey,
          startsAt: now,
          endsAt: until,
          source: 'intent',
          sessionId: '',
          reference: null,
          createdAt: now,
        },
        within,
      );
      profile.subscribedUntil = subscription.endsAt;
    }
    return profile;
  }

  return {
    /** The profile to step with: cached, or read from the records store by `deadline` and cached. */
    async resolve(
      key: HopKey,
      snapshot: Pick<HopSnapshot<unknown>, 'profile' | 'profileCached'>,
      deadline: number,
      logger: HopLogger,
    ): Promise<PhoneProfile> {
      if (snapshot.profileCached) return snapshot.profile;
      const within = { deadline: Math.min(deadline, clock() + RECORDS_READ_MS) };
      let profile: PhoneProfile;
      try {
        const recorded = await records.getPhone(key.phoneKey, within);
        profile = await adopt(key.phoneKey, snapshot.profile, recorded, within);
      } catch (err) {
        logger.warn({ err }, 'phone profile not read from the records store in time; not cached');
        return snapshot.profile;
      }
      // Not awaited: the hop need not wait for the cache, and a failed fill is a miss next hop.
      store
        .cacheProfile(key.phoneKey, profile)
        .catch((err: unknown) => logger.warn({ err }, 'could not cache the phone profile'));
      return profile;
    },
  };
}
