/**
 * pkg/scheduler — who runs where. Pure and fast: no I/O, no clock, no
 * Math.random; the etcd runner feeds it and commits what it decides.
 *
 *   informers ──> ClusterSnapshot (nodes, free capacity grid, ports, owner counts)
 *                        │
 *   pending ──> schedule(): weighted DRF over namespaces, quota, priority
 *                        │ one task at a time
 *                        v
 *               place(): compile ─> feasibility ─> rank ─> limit ─> pick ─> ports
 *                        │                  │
 *                        │                  └─ nothing fits: "0/5 nodes fit: 3 insufficient mem, ..."
 *                        v
 *               snapshot.assume() ──> the runner binds (pkg/store/binding.ts),
 *                                     forget()s what failed to commit
 *
 * Files: snapshot.ts (state), grid.ts (free-capacity index), ports.ts,
 * feasible.ts (checks, Marathon semantics; syntax is pkg/api/constraints.ts),
 * rank.ts (binpack/spread), place.ts (pipeline), explain.ts (why pending),
 * drf.ts (allocator), naive.ts (benchmark baseline).
 */
export { ClusterSnapshot, taskKeyOf, type Usage } from './snapshot.js';
export { place, defaultLimit } from './place.js';
export { placeNaive } from './naive.js';
export { schedule, dominantShare, type Placement, type ScheduleOptions, type ScheduleResult, type Waiting } from './drf.js';
export { requestFromTask, shapeKey } from './request.js';
export type { TaskRequest, PlaceResult, PlaceOk, PlaceFail, PlaceOptions, Failure, FailureReason } from './types.js';
