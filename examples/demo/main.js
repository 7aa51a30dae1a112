// Prints the average temperature of each station; the last one has a reading in Rankine.

const INPUT = ["Oslo: 3C 41F 276K", "Lisbon: 18C 64F", "Fairbanks: -20C 450R"];

function report(lines) {
  for (const line of lines) {
    const station = Station.parse(line);
    console.log(`${station.name.padEnd(10)} ${station.average.toFixed(1)} °C`);
  }
}

try {
  report(INPUT);
} catch (err) {
  console.error(err.stack);
  process.exitCode = 1;
}
