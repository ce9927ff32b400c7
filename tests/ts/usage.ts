// Compiled by `tsc --noEmit` against the package's declarations (tests/run.sh): every documented
// call and result type must type-check as a user would write it.
import init, {
  Camera,
  createWorkerVerifier,
  type WorkerVerifier,
  FaceVerifier,
  type Candidate,
  type CreateOptions,
  type DetectedFace,
  type Enrollment,
  type EnrollResult,
  type ErrorCode,
  FacegateError,
  type LoadProgress,
  type RuleInfo,
  type StageTimes,
  type VerifyResult,
} from "facegate";

export async function usage(video: HTMLVideoElement, bytes: Uint8Array, head: Uint8Array): Promise<void> {
  await init();
  const options: CreateOptions = {
    dbName: "facegate", head: "bundled", threshold: 0.8, minFace: 40, flip: true, maxFailures: 5, lockMs: 30000,
  };
  const fv: FaceVerifier = await FaceVerifier.create(options);
  const memory = await FaceVerifier.create({ storage: "memory", head: "cosine" });
  const defaults = await FaceVerifier.create();
  const worker: WorkerVerifier = await createWorkerVerifier({ dbName: "facegate", onProgress: (p) => p.loaded });
  const found = await worker.detect(video);
  const vector: Float32Array = await worker.embed(bytes);
  const checked: VerifyResult = await worker.verify("alice", video);
  const timed: StageTimes = await worker.profile(bytes, 10);
  console.log(found.length, vector.length, checked.isMatch, worker.rule.name);
  worker.free();
  const reported: LoadProgress[] = [];
  await FaceVerifier.create({ storage: "memory", onProgress: (p) => reported.push(p) });
  await init({ module_or_path: new URL("https://example.com/facegate_bg.wasm"), onProgress: (p) => console.log(p.loaded, p.total) });
  const everyone: Candidate[] = await defaults.identify(bytes);
  await defaults.importEnrollments(bytes);
  const started = await Camera.start(video);
  started.stop();
  const custom = await FaceVerifier.create({ head });
  const sface = await FaceVerifier.create({ model: "sface", storage: "memory" });
  const sfaceFromBytes = await FaceVerifier.create({ model: "sface", modelBytes: bytes, flip: false });
  const ownModel = await FaceVerifier.create({ modelBytes: bytes });
  const cam: Camera = await Camera.start(video, { facingMode: "user", width: 640, height: 480 });

  const enrolled: EnrollResult = await fv.enroll("alice", cam.frame());
  const v: VerifyResult = await fv.verify("alice", video);
  const p: number | null = v.probability;
  const similarity: number = v.similarity; // cosine similarity; detectionScore is the detector's confidence
  const confidence: number = enrolled.detectionScore;
  const rule: string = v.rule;
  const who: Candidate[] = await fv.identify(bytes, { topK: 3 });
  const signedIn: Candidate[] = await fv.identify(bytes, { far: 1e-4, margin: 0.05 });
  const ranked: Candidate[] = await fv.identify(bytes, { topK: 5, far: null });
  const listed: Enrollment[] = await fv.list();
  const shots: number[] = listed.map((e) => (e.damaged === undefined ? e.shots : 0));
  const damaged: string[] = listed.flatMap((e) => (e.damaged !== undefined ? [`${e.id} ${e.code}: ${e.damaged}`] : []));
  const persisted: boolean | null = fv.persisted;
  const removed: boolean = await fv.remove("alice");
  await fv.clear();
  const exported: Uint8Array = await fv.exportEnrollments();
  const imported: number = await memory.importEnrollments(exported, { mode: "merge" });
  await custom.importEnrollments(exported, { mode: "replace" });
  const info: RuleInfo = fv.rule;
  const threshold: number = fv.threshold;
  const sha: string = fv.modelSha256;
  const embedding: Float32Array = await fv.embed(bytes);
  const faces: DetectedFace[] = await fv.detect(video);
  const stages: StageTimes = await fv.profile(bytes);
  console.log(stages.embed.medianMs / stages.total.medianMs, stages.flip, timed.landmarksAlign.p90Ms);
  cam.stop();
  try {
    await fv.verify("bob", bytes);
  } catch (e) {
    if (!(e instanceof FacegateError)) throw e;
    const code: ErrorCode = e.code;
    const wait: number | undefined = e.retryAfterMs;
    const made = new FacegateError("LOCKED", "locked", { retryAfterMs: 1000 });
    console.log(code === "UNKNOWN_ID", made.name, made.code, made.retryAfterMs, enrolled.shots, p, rule, who[0]?.probability, listed.length, removed, wait);
  }
  console.log(sface.modelSha256, sfaceFromBytes.rule.threshold, (await ownModel.embed(bytes)).length);
  console.log(shots, damaged, persisted, signedIn[0]?.id, ranked.length, everyone.length, imported, info.provenance, threshold, sha, embedding.length, faces[0]?.box.width, faces[0]?.detectionScore, similarity, confidence, who[0]?.similarity);
}
