import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatMeasuredValue, geometryProblem, measureGeometry, usableSpacing } from './measurement.ts';

test('a length is measured in mm with the pixel spacing of each axis', () => {
  // Rows 0.5 mm apart, columns 0.25 mm apart: 40 columns = 10 mm, 30 rows = 15 mm.
  const [m] = measureGeometry(
    'length',
    [
      [10, 10],
      [50, 40],
    ],
    [0.5, 0.25],
  );
  assert.deepEqual(m, { name: 'length', value: Math.round(Math.hypot(10, 15) * 100) / 100, unit: 'mm' });
});

test('without pixel spacing a length is in pixels', () => {
  const [m] = measureGeometry(
    'length',
    [
      [0, 0],
      [3, 4],
    ],
    undefined,
  );
  assert.deepEqual(m, { name: 'length', value: 5, unit: 'px' });
  assert.equal(usableSpacing([0, 1]), undefined);
  assert.equal(usableSpacing(undefined), undefined);
  assert.deepEqual(usableSpacing([0.7, 0.7]), [0.7, 0.7]);
});

test('an angle is measured at the middle point, in degrees', () => {
  const [m] = measureGeometry(
    'angle',
    [
      [10, 0],
      [0, 0],
      [0, 10],
    ],
    [1, 1],
  );
  assert.deepEqual(m, { name: 'angle', value: 90, unit: 'deg' });
  // Anisotropic pixels change the angle in the patient: 45° on screen, atan(2) in mm.
  const [skew] = measureGeometry(
    'angle',
    [
      [10, 0],
      [0, 0],
      [10, 10],
    ],
    [2, 1],
  );
  assert.equal(skew!.value, Math.round((Math.atan(2) * 180 * 10) / Math.PI) / 10);
});

test('an ellipse area is pi times the half axes; a rectangle is its bounding box', () => {
  const [e] = measureGeometry(
    'ellipse',
    [
      [20, 30],
      [20, 10],
      [10, 20],
      [30, 20],
    ],
    [1, 1],
  );
  assert.equal(e!.value, Math.round(Math.PI * 10 * 10 * 100) / 100);
  assert.equal(e!.unit, 'mm2');
  const [r] = measureGeometry(
    'rectangle',
    [
      [10, 10],
      [30, 10],
      [10, 20],
      [30, 20],
    ],
    [0.5, 0.5],
  );
  assert.deepEqual(r, { name: 'area', value: 50, unit: 'mm2' });
});

test('bad geometry is refused with the reason', () => {
  assert.match(geometryProblem('length', [[1, 2]]) ?? '', /needs 2 points/);
  assert.match(
    geometryProblem('length', [
      [1, 2],
      [Number.NaN, 2],
    ]) ?? '',
    /finite/,
  );
  assert.throws(() => measureGeometry('angle', [], undefined), RangeError);
});

test('values read as a report writes them', () => {
  assert.equal(formatMeasuredValue({ name: 'length', value: 12.345, unit: 'mm' }), '12.3 mm');
  assert.equal(formatMeasuredValue({ name: 'angle', value: 90, unit: 'deg' }), '90.0°');
  assert.equal(formatMeasuredValue({ name: 'area', value: 152.34, unit: 'mm2' }), '152.3 mm²');
});
