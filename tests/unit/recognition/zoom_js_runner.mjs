// Runs front_demo/zoom.js over what tests/unit/recognition/test_zoom_js.py sends on stdin (JSON), and
// writes what it decided to stdout (JSON), so that the test can compare it with zoom.py's decisions.
//
// In: {module, sequences: [[{reset?, width, height, hand: [cx, cy, palm] | null, changed: [x, y] | null}, ...], ...],
//      tiles: [[width, height], ...], extents: [{landmarks: [[x, y, z] x 21], width, height}, ...],
//      mapped: [{landmarks, view: [x, y, width, height], width, height}, ...],
//      pictures: [{before: [grey x 80 * 60], after, width, height}, ...]}
// Out: {sequences: [[[x, y, width, height, following], ...], ...], tiles: [[[x, y, w, h], ...], ...],
//       extents: [[cx, cy, palm], ...], mapped: [[[x, y, z] x 21], ...], pictures: [[x, y] | null, ...]}

import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const input = JSON.parse(readFileSync(0, "utf8"));
const { HandExtent, View, ZoomPolicy, changePoint, handExtent, searchTiles, toFrame } = await import(
  pathToFileURL(input.module).href);

const points = (landmarks) => landmarks.map(([x, y, z]) => ({ x, y, z }));
const box = (view) => [view.x, view.y, view.width, view.height];

const sequences = input.sequences.map((steps) => {
  const policy = new ZoomPolicy();
  return steps.map(({ reset, width, height, hand, changed }) => {
    if (reset) policy.reset();
    const view = policy.nextView(width, height, changed);
    policy.observe(hand === null ? null : new HandExtent(...hand));
    return [...box(view), policy.following];
  });
});
const tiles = input.tiles.map(([width, height]) => searchTiles(width, height).map(box));
const extents = input.extents.map(({ landmarks, width, height }) => {
  const extent = handExtent(points(landmarks), width, height);
  return [extent.cx, extent.cy, extent.palm];
});
const mapped = input.mapped.map(({ landmarks, view, width, height }) =>
  toFrame(points(landmarks), new View(...view), width, height).map((p) => [p.x, p.y, p.z]));

const pictures = input.pictures.map(({ before, after, width, height }) =>
  changePoint(Uint8Array.from(before), Uint8Array.from(after), width, height));

process.stdout.write(JSON.stringify({ sequences, tiles, extents, mapped, pictures }));
