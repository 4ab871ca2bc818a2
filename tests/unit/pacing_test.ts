import assert from "node:assert/strict";
import { join } from "node:path";
import {
  createRateLimiter,
  decide,
  DEFAULT_RATE_LIMITS,
  HOUR_MS,
  type RateLimit,
  type RateLimiterOptions,
  RateLimitError,
  rateLimitsFrom,
  record,
} from "../../src/pacing/mod.ts";

const MIN = 60_000;
const T0 = Date.parse("2025-03-01T10:00:00Z");
const UTC = { timeZone: "UTC" };
const linkedin = DEFAULT_RATE_LIMITS.linkedin;
const three: RateLimit = { count: 3, perMs: HOUR_MS, label: "Test", noun: "post" };

/** A clock that only moves when told. */
class FakeClock {
  constructor(public ms = T0) {}
  now = () => new Date(this.ms);
  advance(ms: number) {
    this.ms += ms;
  }
}

/** Runs `body` with a fresh folder, removed afterwards. */
async function inTempDir(body: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "aiemp_pacing_" });
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function limiterIn(dir: string, clock: FakeClock, options: Partial<RateLimiterOptions> = {}) {
  return createRateLimiter({ file: join(dir, "pacing.json"), now: clock.now, ...UTC, ...options });
}

// ---- the pure core ----

Deno.test("decide() allows sends while the window holds fewer than the limit", () => {
  assert.deepEqual(decide([], three, new Date(T0), UTC), { allowed: true });
  assert.deepEqual(decide([T0 - 2 * MIN, T0 - MIN], three, new Date(T0), UTC), { allowed: true });
});

Deno.test("decide() refuses a full window until its oldest send is exactly one window old", () => {
  const sent = [T0, T0 + MIN, T0 + 2 * MIN];
  const justBefore = decide(sent, three, new Date(T0 + HOUR_MS - 1), UTC);
  assert.equal(justBefore.allowed, false);
  assert.equal(!justBefore.allowed && justBefore.waitMs, 1);
  assert.deepEqual(decide(sent, three, new Date(T0 + HOUR_MS), UTC), { allowed: true });
});

Deno.test("decide() waits for enough sends to leave when the window holds more than the limit", () => {
  // A limit lowered in the settings: five sends counted, two allowed → the fourth oldest must go.
  const sent = [0, 1, 2, 3, 4].map((i) => T0 + i * MIN);
  const now = new Date(T0 + 10 * MIN);
  const decision = decide(sent, { ...three, count: 2 }, now, UTC);
  assert.equal(!decision.allowed && decision.waitMs, 3 * MIN + HOUR_MS - 10 * MIN);
});

Deno.test("decide() counts a send dated after now (clock set back) as sent now, not later", () => {
  const now = new Date(T0);
  const decision = decide([T0 + 5 * HOUR_MS], { ...three, count: 1 }, now, UTC);
  assert.equal(!decision.allowed && decision.waitMs, HOUR_MS);
});

Deno.test("decide() explains a refusal with the limit and the next slot's time", () => {
  // The oldest counted post at 09:41:30 frees its slot at 10:41:30, shown rounded up.
  const sent = [0, 1, 2, 3, 4].map((i) => Date.parse("2025-03-01T09:41:30Z") + i * MIN);
  const decision = decide(sent, linkedin, new Date("2025-03-01T10:00:00Z"), UTC);
  assert.deepEqual(decision, {
    allowed: false,
    waitMs: 41.5 * MIN,
    why: "LinkedIn allows 5 posts an hour; the next slot is at 10:42",
  });
});

Deno.test("decide() words replies, a single send, other windows, other days and time zones", () => {
  const at = (iso: string) => new Date(iso);
  const full = (limit: RateLimit, first: string) =>
    Array(limit.count).fill(Date.parse(first)) as number[];
  const whatsapp = DEFAULT_RATE_LIMITS.whatsapp;
  const why = (limit: RateLimit, first: string, now: string, timeZone = "UTC") => {
    const decision = decide(full(limit, first), limit, at(now), { timeZone });
    return decision.allowed ? "allowed" : decision.why;
  };
  assert.equal(
    why(whatsapp, "2025-03-01T10:00:00Z", "2025-03-01T10:05:00Z"),
    "WhatsApp allows 30 replies an hour; the next slot is at 11:00",
  );
  assert.equal(
    why(
      { count: 1, perMs: 2 * HOUR_MS, label: "X", noun: "post" },
      "2025-03-01T23:30:00Z",
      "2025-03-01T23:40:00Z",
    ),
    "X allows 1 post every 2 hours; the next slot is at 2025-03-02 01:30",
  );
  assert.equal(
    why({ count: 2, perMs: 90 * MIN }, "2025-03-01T10:00:00Z", "2025-03-01T10:01:00Z"),
    "This platform allows 2 sends every 90 minutes; the next slot is at 11:30",
  );
  assert.equal(
    why(linkedin, "2025-07-01T10:00:00Z", "2025-07-01T10:01:00Z", "Europe/Lisbon"),
    "LinkedIn allows 5 posts an hour; the next slot is at 12:00",
  );
});

Deno.test("record() adds now and drops the sends older than one window", () => {
  const sent = [T0 - HOUR_MS - 1, T0 - HOUR_MS, T0 - HOUR_MS + 1, T0 - MIN];
  assert.deepEqual(record(sent, three, new Date(T0)), [T0 - HOUR_MS + 1, T0 - MIN, T0]);
  assert.deepEqual(record([], three, new Date(T0)), [T0]);
});

Deno.test("DEFAULT_RATE_LIMITS are the seeds' hourly limits", () => {
  const perHour = Object.fromEntries(
    Object.entries(DEFAULT_RATE_LIMITS).map(([name, limit]) => [name, limit.count]),
  );
  assert.deepEqual(perHour, { linkedin: 5, facebook: 5, instagram: 3, x: 10, whatsapp: 30 });
  for (const limit of Object.values(DEFAULT_RATE_LIMITS)) assert.equal(limit.perMs, HOUR_MS);
  assert.ok(Object.isFrozen(DEFAULT_RATE_LIMITS) && Object.isFrozen(linkedin));
});

Deno.test("rateLimitsFrom() overrides the platforms named in the settings and keeps the rest", () => {
  const limits = rateLimitsFrom({ linkedin: { per_hour: 2 }, threads: { per_hour: 4 } });
  assert.deepEqual(limits.linkedin, { count: 2, perMs: HOUR_MS, label: "LinkedIn", noun: "post" });
  assert.deepEqual(limits.x, DEFAULT_RATE_LIMITS.x);
  assert.deepEqual(limits.threads, { count: 4, perMs: HOUR_MS, label: "threads", noun: "post" });
  assert.deepEqual(rateLimitsFrom(), DEFAULT_RATE_LIMITS);
  assert.equal(DEFAULT_RATE_LIMITS.linkedin.count, 5, "the defaults are left as they were");
});

Deno.test("rateLimitsFrom() rejects a per_hour that is not a whole number of 1 or more", () => {
  for (const bad of [0, -1, 1.5, "5", undefined]) {
    assert.throws(
      () => rateLimitsFrom({ x: { per_hour: bad as number } }),
      (error: Error) =>
        error instanceof RateLimitError && /rate_limits\.x\.per_hour/.test(error.message) &&
        /whole number of 1 or more/.test(error.message),
    );
  }
});

// ---- the persisted limiter ----

Deno.test("reserve() takes slots up to the limit, then says how long to wait and why", async () => {
  await inTempDir(async (dir) => {
    const clock = new FakeClock(Date.parse("2025-03-01T09:42:00Z"));
    const limiter = limiterIn(dir, clock);
    for (let i = 0; i < 5; i++) {
      const slot = await limiter.reserve("linkedin");
      assert.equal(slot.ok, true);
      clock.advance(MIN);
    }
    const refused = await limiter.reserve("linkedin");
    assert.deepEqual(refused, {
      ok: false,
      waitMs: 55 * MIN,
      why: "LinkedIn allows 5 posts an hour; the next slot is at 10:42",
    });
    assert.equal((await limiter.reserve("x")).ok, true, "platforms have separate windows");
    clock.advance(55 * MIN - 1);
    assert.equal((await limiter.reserve("linkedin")).ok, false);
    clock.advance(1);
    assert.equal((await limiter.reserve("linkedin")).ok, true, "free when the first leaves");
  });
});

Deno.test("reserve() counts nothing for a refusal", async () => {
  await inTempDir(async (dir) => {
    const clock = new FakeClock();
    const limiter = limiterIn(dir, clock, { limits: { t: { ...three, count: 1 } } });
    assert.equal((await limiter.reserve("t")).ok, true);
    for (let i = 0; i < 3; i++) {
      clock.advance(10 * MIN);
      assert.equal((await limiter.reserve("t")).ok, false);
    }
    clock.advance(30 * MIN);
    assert.equal((await limiter.reserve("t")).ok, true);
  });
});

Deno.test("reserve() uses the limits given, e.g. settings overrides", async () => {
  await inTempDir(async (dir) => {
    const clock = new FakeClock();
    const limits = rateLimitsFrom({ instagram: { per_hour: 1 } });
    const limiter = limiterIn(dir, clock, { limits });
    assert.equal((await limiter.reserve("instagram")).ok, true);
    const refused = await limiter.reserve("instagram");
    assert.equal(
      !refused.ok && refused.why,
      "Instagram allows 1 post an hour; the next slot is at 11:00",
    );
  });
});

Deno.test("a new limiter on the same file remembers the sends (a restart does not reset)", async () => {
  await inTempDir(async (dir) => {
    const clock = new FakeClock();
    const first = limiterIn(dir, clock);
    for (let i = 0; i < 3; i++) assert.equal((await first.reserve("instagram")).ok, true);
    clock.advance(30 * MIN);
    const second = limiterIn(dir, clock);
    const refused = await second.reserve("instagram");
    assert.equal(!refused.ok && refused.waitMs, 30 * MIN);
    const saved = JSON.parse(await Deno.readTextFile(join(dir, "pacing.json")));
    assert.deepEqual(saved.sent.instagram, Array(3).fill(new Date(T0).toISOString()));
  });
});

Deno.test("10 parallel reserve() calls with a limit of 3 give exactly 3 slots", async () => {
  await inTempDir(async (dir) => {
    const limiter = limiterIn(dir, new FakeClock(), { limits: { t: three } });
    const slots = await Promise.all(Array.from({ length: 10 }, () => limiter.reserve("t")));
    assert.equal(slots.filter((slot) => slot.ok).length, 3);
    assert.ok(
      slots.filter((slot) => !slot.ok).every((slot) => !slot.ok && slot.waitMs === HOUR_MS),
    );
    const saved = JSON.parse(await Deno.readTextFile(join(dir, "pacing.json")));
    assert.equal(saved.sent.t.length, 3);
  });
});

Deno.test("cancel() gives the slot back once, however often it is called", async () => {
  await inTempDir(async (dir) => {
    const clock = new FakeClock();
    const limiter = limiterIn(dir, clock, { limits: { t: three } });
    const slots = [];
    for (let i = 0; i < 3; i++) slots.push(await limiter.reserve("t"));
    assert.equal((await limiter.reserve("t")).ok, false);
    const failed = slots[1];
    assert.ok(failed.ok);
    await Promise.all([failed.cancel(), failed.cancel()]);
    await failed.cancel();
    assert.equal((await limiter.reserve("t")).ok, true, "the cancelled slot is free again");
    assert.equal((await limiter.reserve("t")).ok, false, "and only that one");
  });
});

Deno.test("cancel() racing parallel reservations frees exactly one slot", async () => {
  await inTempDir(async (dir) => {
    const limiter = limiterIn(dir, new FakeClock(), { limits: { t: three } });
    const first = await limiter.reserve("t");
    assert.ok(first.ok);
    const [, ...slots] = await Promise.all([
      first.cancel(),
      ...Array.from({ length: 5 }, () => limiter.reserve("t")),
    ]);
    assert.equal(slots.filter((slot) => slot.ok).length, 3);
  });
});

Deno.test("a corrupt file counts every platform as full for one window and says why", async () => {
  await inTempDir(async (dir) => {
    const file = join(dir, "pacing.json");
    await Deno.writeTextFile(file, '{"version": 1, "sent": {"linkedin": ["yesterday"');
    const clock = new FakeClock(Date.parse("2025-03-01T09:42:00Z"));
    const warnings: string[] = [];
    const limiter = limiterIn(dir, clock, { log: (_level, message) => warnings.push(message) });
    const refused = await limiter.reserve("linkedin");
    assert.equal(refused.ok, false);
    assert.equal(!refused.ok && refused.waitMs, HOUR_MS);
    assert.match(
      !refused.ok ? refused.why : "",
      /^LinkedIn allows 5 posts an hour; the next slot is at 10:42 \(the rate-limit file .*pacing\.json was unreadable at 09:42 \(not JSON: .*\), so every platform counts as full for one window; the bad file is kept as .*pacing\.json\.corrupt\)$/,
    );
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /unreadable at 09:42/);
    assert.equal(
      await Deno.readTextFile(`${file}.corrupt`),
      '{"version": 1, "sent": {"linkedin": ["yesterday"',
    );
    assert.equal((await limiter.reserve("whatsapp")).ok, false, "every platform is held");

    // A restart in the window does not start it again.
    clock.advance(30 * MIN);
    const again = await limiterIn(dir, clock).reserve("linkedin");
    assert.equal(!again.ok && again.waitMs, 30 * MIN);
    assert.equal(warnings.length, 1, "the replaced file is read normally");

    clock.advance(30 * MIN);
    assert.equal((await limiter.reserve("linkedin")).ok, true, "free after one window");
  });
});

Deno.test("a file of the wrong shape is treated as corrupt too", async () => {
  const shapes = [
    "[]",
    '{"version": 2, "sent": {}}',
    '{"version": 1, "sent": {"x": "2025-03-01T09:00:00Z"}}',
    '{"version": 1, "sent": {"x": ["not a time"]}}',
  ];
  for (const text of shapes) {
    await inTempDir(async (dir) => {
      await Deno.writeTextFile(join(dir, "pacing.json"), text);
      const warnings: string[] = [];
      const limiter = limiterIn(dir, new FakeClock(), { log: (_, m) => warnings.push(m) });
      assert.equal((await limiter.reserve("x")).ok, false, text);
      assert.equal(warnings.length, 1, text);
    });
  }
});

Deno.test("a missing file is an empty history, and the folder is made on first write", async () => {
  await inTempDir(async (dir) => {
    const file = join(dir, "state", "pacing.json");
    const limiter = createRateLimiter({ file, now: new FakeClock().now, ...UTC });
    assert.equal((await limiter.reserve("facebook")).ok, true);
    const saved = JSON.parse(await Deno.readTextFile(file));
    assert.deepEqual(saved, { version: 1, sent: { facebook: [new Date(T0).toISOString()] } });
  });
});

Deno.test("reserve() rejects a platform with no limit, naming the known ones", async () => {
  await inTempDir(async (dir) => {
    await assert.rejects(
      limiterIn(dir, new FakeClock()).reserve("myspace"),
      (error: Error) =>
        error instanceof RateLimitError && /'myspace'/.test(error.message) &&
        /linkedin, facebook, instagram, x, whatsapp/.test(error.message),
    );
  });
});

Deno.test("a clock set back does not hold slots longer than one window", async () => {
  await inTempDir(async (dir) => {
    const clock = new FakeClock();
    const limiter = limiterIn(dir, clock, { limits: { t: { ...three, count: 1 } } });
    assert.equal((await limiter.reserve("t")).ok, true);
    clock.advance(-24 * HOUR_MS);
    const refused = await limiter.reserve("t");
    assert.equal(!refused.ok && refused.waitMs, HOUR_MS);
    clock.advance(HOUR_MS);
    assert.equal((await limiter.reserve("t")).ok, true, "not a day later");
  });
});

Deno.test("old sends are trimmed from the file", async () => {
  await inTempDir(async (dir) => {
    const clock = new FakeClock();
    const limiter = limiterIn(dir, clock);
    await limiter.reserve("linkedin");
    await limiter.reserve("x");
    clock.advance(HOUR_MS);
    await limiter.reserve("x");
    const saved = JSON.parse(await Deno.readTextFile(join(dir, "pacing.json")));
    assert.deepEqual(saved.sent, { x: [new Date(T0 + HOUR_MS).toISOString()] });
  });
});
