// A weather station and its readings, parsed from lines like "Oslo: 3C 41F 276K".

class Station {
  constructor(name, readings) {
    this.name = name;
    this.readings = readings;
  }

  static parse(line) {
    const [name, rest] = line.split(":");
    const readings = rest.trim().split(/\s+/).map((token) => {
      const match = /^(-?\d+(?:\.\d+)?)([A-Z])$/.exec(token);
      return { value: Number(match[1]), unit: match[2] };
    });
    return new Station(name.trim(), readings);
  }

  get average() {
    const celsius = this.readings.map((reading) => toCelsius(reading));
    return celsius.reduce((sum, c) => sum + c, 0) / celsius.length;
  }
}
