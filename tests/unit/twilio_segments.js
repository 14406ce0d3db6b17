// Twilio's own SMS segment calculator (npm sms-segments-calculator) on every string of a JSON file,
// for tests/unit/test_twilio_calculator.py. Prints one JSON object: for each string its
// [encodingName, numberOfCharacters, segmentsCount]; the calculator's Smart Encoding map; and the
// path of the grapheme-splitter it splits characters with.
// Usage: NODE_PATH=.tools/node/node_modules node tests/unit/twilio_segments.js strings.json
const fs = require('fs');
const path = require('path');
const { SegmentedMessage } = require('sms-segments-calculator');
const SmartEncodingMap = require('sms-segments-calculator/dist/libs/SmartEncodingMap').default;

const texts = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const segments = texts.map((text) => {
  const message = new SegmentedMessage(text);
  return [message.encodingName, message.numberOfCharacters, message.segmentsCount];
});
const calculatorDir = path.dirname(require.resolve('sms-segments-calculator'));
const graphemeSplitter = require.resolve('grapheme-splitter', { paths: [calculatorDir] });
process.stdout.write(JSON.stringify({ segments, smartEncodingMap: SmartEncodingMap, graphemeSplitter }));
