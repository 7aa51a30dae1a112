// Temperature units: each converter turns a reading into degrees Celsius.

const CONVERTERS = {
  C: (value) => value,
  F: (value) => ((value - 32) * 5) / 9,
  K: (value) => value - 273.15,
};

function toCelsius(reading) {
  const convert = CONVERTERS[reading.unit];
  if (convert === undefined) {
    throw new TypeError(`unknown temperature unit "${reading.unit}" in ${reading.value}${reading.unit}`);
  }
  return convert(reading.value);
}
