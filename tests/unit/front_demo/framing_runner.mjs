// Runs front_demo/framing.js for tests/unit/front_demo/test_framing.py: reads
// {"module": path, "sequences": [[{"landmarks": [[x, y], ...] | null, "aspect": a} | "reset", ...], ...]}
// and {"palms": [{"landmarks": ..., "aspect": a}, ...]} on stdin, writes each sequence's advice after each step
// (true: come closer), each palm's size over the frame's longer side, and the policy's constants.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const input = JSON.parse(readFileSync(0, "utf8"));
const framing = await import(pathToFileURL(input.module).href);
const advice = input.sequences.map((steps) => {
  const policy = new framing.FramingAdvice();
  let closer = policy.closer;
  return steps.map((step) => {
    if (step === "reset") {
      policy.reset();
    } else if (policy.observe(step.landmarks, step.aspect) !== (policy.closer !== closer)) {
      throw new Error("observe() must return whether the advice changed");
    }
    closer = policy.closer;
    return closer;
  });
});
const palms = (input.palms ?? []).map(({ landmarks, aspect }) => framing.palmSize(landmarks, aspect));
const constants = Object.fromEntries(Object.entries(framing).filter(([, value]) => typeof value === "number"));
process.stdout.write(JSON.stringify({ advice, palms, constants }));
