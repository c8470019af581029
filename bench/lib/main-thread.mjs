// Long tasks of a page's main thread from a Chromium trace, and how much of
// each is offer-edge's own code. PerformanceObserver "longtask" sees every
// task, the host page's layout and the test driver's injected scripts too;
// the trace's CPU profile samples say whose JavaScript ran in each task.
//
//   const trace = await startTrace(cdp); … const events = await trace.stop();
//   const tasks = longTasks(events, /\/oe\/(offer-edge|demo)\./);

const CATEGORIES = ["devtools.timeline", "disabled-by-default-devtools.timeline", "v8.execute", "disabled-by-default-v8.cpu_profiler", "blink.user_timing"];

/** Starts tracing on `cdp` (a page's CDP session); `stop()` resolves with the trace events. */
export async function startTrace(cdp) {
  const events = [];
  const onData = (d) => events.push(...d.value);
  cdp.on("Tracing.dataCollected", onData);
  await cdp.send("Tracing.start", { categories: CATEGORIES.join(","), transferMode: "ReportEvents" });
  return {
    async stop() {
      const done = new Promise((resolve) => cdp.once("Tracing.tracingComplete", resolve));
      await cdp.send("Tracing.end");
      await done;
      cdp.off("Tracing.dataCollected", onData);
      return events;
    },
  };
}

/** CPU profile samples per thread: `[{ts, urls}]` (µs; the script URLs on the sampled stack). */
function samples(events) {
  const profiles = new Map(); // id → {tid, pid, time, nodes}
  const out = new Map(); // "pid:tid" → samples
  for (const e of events) {
    if (e.name === "Profile") profiles.set(e.id, { pid: e.pid, tid: e.tid, time: e.args.data.startTime, nodes: new Map() });
    if (e.name !== "ProfileChunk") continue;
    const p = profiles.get(e.id);
    if (!p) continue;
    const { cpuProfile = {}, timeDeltas = [] } = e.args.data;
    for (const n of cpuProfile.nodes ?? []) p.nodes.set(n.id, { url: n.callFrame?.url ?? "", parent: n.parent });
    const key = `${p.pid}:${p.tid}`;
    if (!out.has(key)) out.set(key, []);
    (cpuProfile.samples ?? []).forEach((id, i) => {
      p.time += timeDeltas[i] ?? 0;
      const urls = [];
      for (let n = p.nodes.get(id); n; n = p.nodes.get(n.parent)) if (n.url) urls.push(n.url);
      out.get(key).push({ ts: p.time, urls });
    });
  }
  return out;
}

/**
 * Tasks over `minMs` on renderer main threads: `[{start, ms, oursMs}]`
 * (`start`: µs on the trace clock; `oursMs`: sampled time whose stack holds
 * a script matching `ours`), longest first.
 */
export function longTasks(events, ours, minMs = 50) {
  const mains = new Set(events.filter((e) => e.name === "thread_name" && e.args?.name === "CrRendererMain").map((e) => `${e.pid}:${e.tid}`));
  const sampled = samples(events);
  const tasks = [];
  for (const e of events) {
    if (e.name !== "RunTask" || !e.dur || e.dur < minMs * 1000 || !mains.has(`${e.pid}:${e.tid}`)) continue;
    const inTask = (sampled.get(`${e.pid}:${e.tid}`) ?? []).filter((s) => s.ts >= e.ts && s.ts <= e.ts + e.dur);
    // Sampled time spent in our scripts: the share of the task's samples, times its duration.
    const mine = inTask.filter((s) => s.urls.some((u) => ours.test(u))).length;
    tasks.push({ start: e.ts, ms: e.dur / 1000, oursMs: inTask.length ? (e.dur / 1000) * (mine / inTask.length) : 0 });
  }
  return tasks.sort((a, b) => b.ms - a.ms);
}

/** The trace clock (µs) of a `performance.mark` named `name`, or null. */
export function markTime(events, name) {
  const mark = events.find((e) => e.name === name && (e.cat ?? "").includes("blink.user_timing"));
  return mark ? mark.ts : null;
}
