// Runs front_demo/framesize.js for tests/unit/front_demo/test_framesize.py: reads
// {"module": path, "sequences": [[{"landmarks": [[x, y], ...] | null, "aspect": a} | "reset", ...], ...]}
// on stdin, writes each sequence's long side after each step, and the policy's constants.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const input = JSON.parse(readFileSync(0, "utf8"));
const framesize = await import(pathToFileURL(input.module).href);
const sizes = input.sequences.map((steps) => {
  const policy = new framesize.FrameSizePolicy();
  return steps.map((step) => {
    if (step === "reset") policy.reset();
    else policy.observe(step.landmarks, step.aspect);
    return policy.longSide;
  });
});
const heights = (input.boxes ?? []).map(({ landmarks, aspect }) => framesize.handHeights(landmarks, aspect));
const constants = Object.fromEntries(Object.entries(framesize).filter(([, value]) => typeof value === "number"));
process.stdout.write(JSON.stringify({ sizes, heights, constants }));
