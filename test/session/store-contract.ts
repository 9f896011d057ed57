// The SessionStore contract (src/session/types.ts), one suite run against every driver (unstorage's
// testDriver, hono's runTest). A driver file calls describeSessionStoreContract with a factory that
// builds a fresh, isolated store per test. Driver-specific checks (Redis keys, TTLs, round trips,
// the memory driver's clock) live in the driver's own test file.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SessionStoreError } from '../../src/errors.ts';
import type { HopKey, SessionStore, SessionStoreOptions } from '../../src/session/types.ts';
import type { AnswerProgress } from '../../src/types.ts';

export interface StoreHarness {
  store: SessionStore<TestState>;
  /** Removes whatever the test left behind (Redis keys); the store is closed by then. */
  cleanup(): Promise<void>;
}

export interface TestState {
  screen: string;
  stack: string[];
  text: string;
}

export const STORE_OPTIONS: SessionStoreOptions = { prefix: 'unused:', sessionTtlSeconds: 300 };

const LEASE_MS = 5_000;

let seq = 0;
/** A hop key with unique session and phone, so tests never share data even with one prefix. */
export function hopKey(over: Partial<HopKey> = {}): HopKey {
  seq += 1;
  return {
    sessionId: `ATUid_${process.pid}_${Date.now()}_${seq}`,
    phoneKey: `phone${process.pid}x${seq}`,
    day: '2025-03-14',
    minute: 29_000_000,
    ...over,
  };
}

const state = (screen: string, text = ''): TestState => ({ screen, stack: ['home'], text });
const answer = (text: string, done = false): AnswerProgress => ({ id: 'a1', text, done, source: 'model' });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function describeSessionStoreContract(
  name: string,
  makeHarness: (options: SessionStoreOptions) => Promise<StoreHarness>,
): void {
  describe(`SessionStore contract: ${name}`, () => {
    let harness: StoreHarness;
    let store: SessionStore<TestState>;

    beforeEach(async () => {
      harness = await makeHarness(STORE_OPTIONS);
      store = harness.store;
    });
    afterEach(async () => {
      await store.close();
      await harness.cleanup();
    });

    /** begin + commit, as one hop of the gateway does. */
    async function hop(key: HopKey, write: Parameters<SessionStore<TestState>['commit']>[2]) {
      const snap = await store.begin(key, LEASE_MS);
      expect(snap.lease).not.toBeNull();
      expect(await store.commit(key, snap.lease!, write)).toBe(true);
      return snap;
    }

    it('begin on a new session takes the lease and reads nothing', async () => {
      const snap = await store.begin(hopKey(), LEASE_MS);
      expect(snap.lease).toEqual(expect.any(String));
      expect(snap).toMatchObject({
        state: null,
        answer: null,
        profile: {},
        profileCached: false,
        questionsToday: 0,
        hopsThisMinute: 1,
        questionsThisMinute: 0,
      });
    });

    it('commit then begin returns the state, and the lease again', async () => {
      const key = hopKey();
      await hop(key, { state: state('ask', '1*what is 2*3') });
      const next = await store.begin(key, LEASE_MS);
      expect(next.state).toEqual(state('ask', '1*what is 2*3'));
      expect(next.lease).not.toBeNull();
    });

    it('a second begin while the lease is held gets lease null, but still reads the state', async () => {
      const key = hopKey();
      await hop(key, { state: state('menu') });
      const first = await store.begin(key, LEASE_MS);
      const second = await store.begin(key, LEASE_MS);
      expect(first.lease).not.toBeNull();
      expect(second.lease).toBeNull();
      expect(second.state).toEqual(state('menu'));
    });

    it('two concurrent begins of one session: exactly one gets the lease', async () => {
      const key = hopKey();
      const snaps = await Promise.all([store.begin(key, LEASE_MS), store.begin(key, LEASE_MS)]);
      expect(snaps.filter((s) => s.lease !== null)).toHaveLength(1);
    });

    it('a lease that ran out lets another hop in, and the stale holder cannot commit', async () => {
      const key = hopKey();
      const stale = await store.begin(key, 40);
      await sleep(120);
      const fresh = await store.begin(key, LEASE_MS);
      expect(fresh.lease).not.toBeNull();
      expect(fresh.lease).not.toBe(stale.lease);
      expect(await store.commit(key, stale.lease!, { state: state('stale'), questionAsked: 1 })).toBe(false);
      expect(await store.commit(key, fresh.lease!, { state: state('fresh') })).toBe(true);
      const after = await store.begin(key, LEASE_MS);
      expect(after.state).toEqual(state('fresh'));
      expect(after.questionsToday).toBe(0);
    });

    it('commit with a lease that is not ours writes nothing and returns false', async () => {
      const key = hopKey();
      const snap = await store.begin(key, LEASE_MS);
      const written = await store.commit(key, 'not-the-lease', {
        state: state('forged'),
        profile: { lang: 'sw' },
        questionAsked: 1,
        answer: answer('forged'),
      });
      expect(written).toBe(false);
      await store.release(key, snap.lease!);
      const after = await store.begin(key, LEASE_MS);
      expect(after).toMatchObject({ state: null, answer: null, profile: {}, questionsToday: 0 });
      expect(after.questionsThisMinute).toBe(0);
    });

    it('commit releases the lease; a second commit with it returns false', async () => {
      const key = hopKey();
      const snap = await store.begin(key, LEASE_MS);
      expect(await store.commit(key, snap.lease!, { state: state('one') })).toBe(true);
      expect(await store.commit(key, snap.lease!, { state: state('two') })).toBe(false);
      expect((await store.begin(key, LEASE_MS)).state).toEqual(state('one'));
    });

    it('release frees the lease without writing; releasing a lease not ours does nothing', async () => {
      const key = hopKey();
      const snap = await store.begin(key, LEASE_MS);
      await store.release(key, 'someone-else');
      expect((await store.begin(key, LEASE_MS)).lease).toBeNull();
      await store.release(key, snap.lease!);
      const next = await store.begin(key, LEASE_MS);
      expect(next.lease).not.toBeNull();
      expect(next.state).toBeNull();
    });

    it('the profile is kept across sessions of the same phone, and fields merge', async () => {
      const phoneKey = hopKey().phoneKey;
      await hop(hopKey({ phoneKey }), { state: state('lang'), profile: { lang: 'sw' } });
      await hop(hopKey({ phoneKey }), {
        state: state('sub'),
        profile: { subscribedUntil: 1_750_000_000_000 },
      });
      const later = await store.begin(hopKey({ phoneKey }), LEASE_MS);
      expect(later.profile).toEqual({ lang: 'sw', subscribedUntil: 1_750_000_000_000 });
      expect((await store.begin(hopKey(), LEASE_MS)).profile).toEqual({});
    });

    it('a profile filled from the records store is cached (an empty one too); null forgets it', async () => {
      const phoneKey = hopKey().phoneKey;
      const read = () => store.peek(hopKey({ phoneKey }));
      expect(await read()).toMatchObject({ profile: {}, profileCached: false });
      await store.cacheProfile(phoneKey, {});
      expect(await read()).toMatchObject({ profile: {}, profileCached: true });
      // A fill replaces whatever was cached, fields it lacks included.
      await hop(hopKey({ phoneKey }), { state: state('lang'), profile: { lang: 'en' } });
      await store.cacheProfile(phoneKey, { subscribedUntil: 1_750_000_000_000 });
      expect(await read()).toMatchObject({
        profile: { subscribedUntil: 1_750_000_000_000 },
        profileCached: true,
      });
      // A commit's fields join a cached profile, which stays cached.
      await hop(hopKey({ phoneKey }), { state: state('lang'), profile: { lang: 'sw' } });
      expect((await store.begin(hopKey({ phoneKey }), LEASE_MS)).profileCached).toBe(true);
      expect((await read()).profile).toEqual({ lang: 'sw', subscribedUntil: 1_750_000_000_000 });
      await store.cacheProfile(phoneKey, null);
      expect(await read()).toMatchObject({ profile: {}, profileCached: false });
      // Committed fields on a profile never filled are kept, but it is still a miss.
      await hop(hopKey({ phoneKey }), { state: state('lang'), profile: { lang: 'sw' } });
      expect(await read()).toMatchObject({ profile: { lang: 'sw' }, profileCached: false });
    });

    it('question counters count by day and by minute, per phone', async () => {
      const phoneKey = hopKey().phoneKey;
      const at = (day: string, minute: number) => hopKey({ phoneKey, day, minute });
      await hop(at('2025-03-14', 100), { state: state('ask'), questionAsked: 1 });
      await hop(at('2025-03-14', 100), { state: state('ask'), questionAsked: 1 });
      await hop(at('2025-03-14', 101), { state: state('ask'), questionAsked: 1 });
      await hop(at('2025-03-14', 101), { state: state('menu'), questionAsked: 0 });
      await hop(at('2025-03-14', 101), { state: state('menu') });
      const cases = [
        { day: '2025-03-14', minute: 100, questionsToday: 3, questionsThisMinute: 2 },
        { day: '2025-03-14', minute: 101, questionsToday: 3, questionsThisMinute: 1 },
        { day: '2025-03-14', minute: 102, questionsToday: 3, questionsThisMinute: 0 },
        { day: '2025-03-15', minute: 101, questionsToday: 0, questionsThisMinute: 1 },
      ];
      for (const c of cases) {
        const { questionsToday, questionsThisMinute } = await store.begin(at(c.day, c.minute), LEASE_MS);
        expect({ day: c.day, minute: c.minute, questionsToday, questionsThisMinute }).toEqual(c);
      }
      expect((await store.begin(hopKey({ day: '2025-03-14', minute: 100 }), LEASE_MS)).questionsToday).toBe(
        0,
      );
    });

    it('the hop counter counts every begin of the phone in the minute, lease or not', async () => {
      const base = hopKey();
      const counts: number[] = [];
      for (let i = 0; i < 3; i++) counts.push((await store.begin(base, LEASE_MS)).hopsThisMinute);
      counts.push((await store.begin(hopKey({ phoneKey: base.phoneKey }), LEASE_MS)).hopsThisMinute);
      counts.push((await store.begin({ ...base, minute: base.minute + 1 }, LEASE_MS)).hopsThisMinute);
      expect(counts).toEqual([1, 2, 3, 4, 1]);
    });

    it('begin with countHop false reads the hop counter without counting (a poll, issue 15)', async () => {
      const key = hopKey();
      const first = await store.begin(key, LEASE_MS);
      expect(first.hopsThisMinute).toBe(1);
      const polls: number[] = [];
      for (let i = 0; i < 3; i++)
        polls.push((await store.begin(key, LEASE_MS, { countHop: false })).hopsThisMinute);
      expect(polls).toEqual([1, 1, 1]);
      expect((await store.begin(hopKey(), LEASE_MS, { countHop: false })).hopsThisMinute).toBe(0);
      expect((await store.peek(key)).hopsThisMinute).toBe(2);
    });

    it('putAnswer is visible to the next begin, without the lease', async () => {
      const key = hopKey();
      await hop(key, { state: state('ask'), answer: answer('') });
      const held = await store.begin(key, LEASE_MS);
      await store.putAnswer(key.sessionId, answer('Paris is the'));
      await store.putAnswer(key.sessionId, answer('Paris is the capital.', true));
      const other = await store.begin(key, LEASE_MS);
      expect(other.lease).toBeNull();
      expect(other.answer).toEqual(answer('Paris is the capital.', true));
      expect(other.state).toEqual(state('ask'));
      expect(held.answer).toEqual(answer(''));
    });

    it('commit keeps the answer when answer is omitted, replaces it, and clears it with null', async () => {
      const key = hopKey();
      const failed: AnswerProgress = { id: 'a2', text: '', done: true, failure: 'timeout', source: 'model' };
      const steps: {
        write: Parameters<SessionStore<TestState>['commit']>[2];
        answer: AnswerProgress | null;
      }[] = [
        { write: { state: state('ask'), answer: answer('x') }, answer: answer('x') },
        { write: { state: state('read') }, answer: answer('x') },
        { write: { state: state('ask'), answer: failed }, answer: failed },
        { write: { state: state('menu'), answer: null }, answer: null },
      ];
      for (const step of steps) {
        await hop(key, step.write);
        const snap = await store.begin(key, LEASE_MS);
        expect(snap.answer).toEqual(step.answer);
        await store.release(key, snap.lease!);
      }
    });

    it('cache: get/set, miss as null, expiry, and ttl 0 stores nothing', async () => {
      const tag = hopKey().sessionId;
      expect(await store.getCached(`${tag}:missing`)).toBeNull();
      await store.setCached(`${tag}:long`, 'Nairobi.', 60);
      await store.setCached(`${tag}:short`, 'gone soon', 0.1);
      await store.setCached(`${tag}:zero`, 'never', 0);
      expect(await store.getCached(`${tag}:long`)).toBe('Nairobi.');
      expect(await store.getCached(`${tag}:zero`)).toBeNull();
      await sleep(250);
      expect(await store.getCached(`${tag}:short`)).toBeNull();
      expect(await store.getCached(`${tag}:long`)).toBe('Nairobi.');
    });

    it.each([
      ['a glob', 'x*'],
      ['a path', '../../etc'],
      ['colons', 'a:b:c'],
      ['spaces and newlines', 'a b\r\nc'],
      ['10 kB', 'z'.repeat(10_240)],
      ['empty', ''],
      ['unicode', 'sessão-ñ-✓'],
    ])('a hostile session id (%s) works and does not collide with its neighbours', async (_, sessionId) => {
      const key = hopKey({ sessionId });
      const near = hopKey({ sessionId: sessionId.slice(0, -1) || 'x' });
      await hop(key, { state: state('mine'), answer: answer('mine') });
      const snap = await store.begin(key, LEASE_MS);
      expect(snap.state).toEqual(state('mine'));
      await store.putAnswer(sessionId, answer('mine, updated'));
      const neighbour = await store.begin(near, LEASE_MS);
      expect(neighbour).toMatchObject({ state: null, answer: null });
      expect(neighbour.lease).not.toBeNull();
      expect((await store.begin(key, LEASE_MS)).answer).toEqual(answer('mine, updated'));
    });

    describe('advance: one round trip for a hop whose state the caller holds', () => {
      it('a commit gives the state a version; begin reads it; a new session has none', async () => {
        const key = hopKey();
        expect((await store.begin(key, LEASE_MS)).version).toBeNull();
        const key2 = hopKey();
        const first = await hop(key2, { state: state('one') });
        const snap = await store.begin(key2, LEASE_MS);
        expect(snap.version).toBe(first.lease); // the commit's lease
        expect(await store.commit(key2, snap.lease!, { state: state('two') })).toBe(true);
        expect((await store.begin(key2, LEASE_MS)).version).toBe(snap.lease);
      });

      it('writes over the version it was given, counts the hop, and returns the next version', async () => {
        const key = hopKey();
        const first = await hop(key, { state: state('one'), answer: answer('kept') });
        const advanced = await store.advance(key, first.lease!, state('two'), 0);
        expect(advanced).toEqual({ written: true, version: expect.any(String) });
        const again = advanced.written ? await store.advance(key, advanced.version, state('three'), 0) : null;
        expect(again).toEqual({ written: true, version: expect.any(String) });
        const snap = await store.begin(key, LEASE_MS);
        expect(snap).toMatchObject({ state: state('three'), answer: answer('kept'), hopsThisMinute: 4 });
        expect(snap.version).toBe(again?.written ? again.version : 'unreachable');
      });

      it('refuses (changed, nothing counted or written) a stale version, a held lease, a gone session', async () => {
        const key = hopKey();
        const first = await hop(key, { state: state('one') });
        const second = await store.advance(key, first.lease!, state('two'), 0);
        expect(second.written).toBe(true);
        // Stale: the state moved on (another replica, another hop) since the caller read it.
        expect(await store.advance(key, first.lease!, state('stale'), 0)).toEqual({
          written: false,
          reason: 'changed',
        });
        // Held: a hop of the session is running (an answer being asked for, a resend).
        const held = await store.begin(key, LEASE_MS);
        const version = held.version!;
        expect(await store.advance(key, version, state('while held'), 0)).toEqual({
          written: false,
          reason: 'changed',
        });
        await store.release(key, held.lease!);
        expect(await store.advance(hopKey(), 'no such version', state('gone'), 0)).toEqual({
          written: false,
          reason: 'changed',
        });
        const snap = await store.begin(key, LEASE_MS);
        expect(snap).toMatchObject({ state: state('two'), hopsThisMinute: 4 }); // 1 + advance + begin + this
      });

      it("over version '' writes only a session never written, and peek reads without the lease", async () => {
        const key = hopKey();
        const peeked = await store.peek(key);
        expect(peeked).toMatchObject({ lease: null, state: null, version: null, hopsThisMinute: 1 });
        const first = await store.advance(key, '', state('first'), 0);
        expect(first).toEqual({ written: true, version: expect.any(String) });
        expect(await store.advance(key, '', state('again'), 0)).toEqual({
          written: false,
          reason: 'changed',
        });
        const snap = await store.peek(key);
        expect(snap).toMatchObject({ lease: null, state: state('first'), hopsThisMinute: 3 }); // 'changed' is not counted
        expect((await store.begin(key, LEASE_MS)).lease).not.toBeNull(); // peek took no lease
      });

      it('refuses past the hop rate (limited: counted, not written)', async () => {
        const key = hopKey();
        const first = await hop(key, { state: state('one') }); // hop 1 of the minute
        const ok = await store.advance(key, first.lease!, state('two'), 2); // hop 2
        expect(ok.written).toBe(true);
        const over = await store.advance(key, ok.written ? ok.version : '', state('three'), 2); // hop 3
        expect(over).toEqual({ written: false, reason: 'limited' });
        expect((await store.begin(key, LEASE_MS)).state).toEqual(state('two'));
      });
    });

    describe("a phone's pending answer (issue 13)", () => {
      const pending = (id: string, at = Date.now()) => ({
        id,
        sessionId: 'ATUid_x',
        question: `question ${id}`,
        lang: 'en',
        at,
        etaAt: at + 60_000,
      });

      it('one question per phone at a time, a second behind it, a third refused; what is over gives way', async () => {
        const key = hopKey();
        const phone = key.phoneKey;
        const claimed = { status: 'claimed' };
        expect(await store.claimPending(phone, pending('q1'), 60_000)).toEqual(claimed);
        expect(await store.claimPending(phone, pending('q1'), 60_000)).toEqual(claimed); // the same again
        // q2 waits behind q1; the same again changes nothing.
        const behind = await store.claimPending(phone, pending('q2'), 60_000);
        expect(behind).toMatchObject({ status: 'behind', ahead: { id: 'q1', question: 'question q1' } });
        expect(behind.status === 'behind' && behind.ahead.next).toBeUndefined();
        expect(await store.claimPending(phone, pending('q2'), 60_000)).toMatchObject({ status: 'behind' });
        expect(await store.claimPending(phone, pending('q3'), 60_000)).toMatchObject({
          status: 'blocked',
          other: { id: 'q2' },
        });
        // The next hop reads both, the second nested in the first.
        expect((await store.begin(key, LEASE_MS)).pending).toMatchObject({ id: 'q1', next: { id: 'q2' } });
        // q1 answered: q2 is the first now, and q3 waits behind it.
        await store.updatePending(phone, 'q1', { answer: answer('done', true) });
        expect(await store.claimPending(phone, pending('q3'), 60_000)).toMatchObject({
          status: 'behind',
          ahead: { id: 'q2' },
        });
        expect(await store.getPending(phone)).toMatchObject({ id: 'q2', next: { id: 'q3' } });
        // Both answered: a new question replaces them.
        await store.updatePending(phone, 'q2', { answer: answer('two', true) });
        await store.updatePending(phone, 'q3', { answer: answer('three', true) });
        const q4 = pending('q4');
        expect(await store.claimPending(phone, q4, 60_000)).toEqual(claimed);
        expect(await store.getPending(phone)).toEqual(q4);
        // A stale question gives way.
        const other = hopKey();
        await store.claimPending(other.phoneKey, pending('old', Date.now() - 120_000), 60_000);
        expect(await store.claimPending(other.phoneKey, pending('new'), 60_000)).toEqual(claimed);
      });

      it('the question behind the first is updated, read and dropped by its id; the first dropped, it moves up', async () => {
        const phone = hopKey().phoneKey;
        const [q1, q2, q3] = [pending('q1'), pending('q2'), pending('q3')];
        await store.claimPending(phone, q1, 60_000);
        await store.claimPending(phone, q2, 60_000);
        expect(await store.updatePending(phone, 'q2', { hungUp: true })).toEqual({
          ...q2,
          hungUp: true,
        });
        expect(await store.readPending(phone, 'q2', 'sms')).toEqual({ ...q2, hungUp: true });
        expect(await store.readPending(phone, 'q2', 'sms')).toBeNull();
        expect(await store.getPending(phone)).toEqual({
          ...q1,
          next: { ...q2, hungUp: true, read: 'sms' },
        });
        await store.dropPending(phone, 'q2');
        expect(await store.getPending(phone)).toEqual(q1);
        await store.claimPending(phone, q3, 60_000);
        await store.dropPending(phone, 'q1');
        expect(await store.getPending(phone)).toEqual(q3);
      });

      it('updates only the question it names, and is read once, by whoever comes first', async () => {
        const phone = hopKey().phoneKey;
        await store.claimPending(phone, pending('q1'), 60_000);
        expect(await store.updatePending(phone, 'other', { sms: true })).toBeNull();
        expect(await store.updatePending(phone, 'q1', { sms: true })).toMatchObject({ id: 'q1', sms: true });
        expect(await store.readPending(phone, 'q1', 'sms')).toMatchObject({ id: 'q1', sms: true });
        expect(await store.readPending(phone, 'q1', 'next-dial')).toBeNull();
        expect(await store.getPending(phone)).toMatchObject({ read: 'sms' });
        await store.dropPending(phone, 'other');
        expect(await store.getPending(phone)).not.toBeNull();
        await store.dropPending(phone, 'q1');
        expect(await store.getPending(phone)).toBeNull();
      });
    });

    it('values are copied in and out: mutating them does not change what is stored', async () => {
      const key = hopKey();
      const written = state('menu');
      const snap = await store.begin(key, LEASE_MS);
      await store.commit(key, snap.lease!, { state: written });
      written.stack.push('mutated after commit');
      const first = await store.begin(key, LEASE_MS);
      first.state!.stack.push('mutated after begin');
      expect((await store.begin(key, LEASE_MS)).state).toEqual(state('menu'));
    });

    it('ping resolves; after close every call rejects with SessionStoreError', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
      await store.close();
      await expect(store.begin(hopKey(), LEASE_MS)).rejects.toBeInstanceOf(SessionStoreError);
      await expect(store.ping()).rejects.toThrow(/^\[session\] /);
    });
  });
}
