// Fails loudly when an npm script runs on a Node.js other than the pinned major (Lambda runs nodejs24.x).
const REQUIRED_MAJOR = 24;
const major = Number(process.versions.node.split('.')[0]);
if (major !== REQUIRED_MAJOR) {
  console.error(
    `\n*** This project needs Node.js ${REQUIRED_MAJOR}.x but this script runs on ${process.version}.\n` +
      `*** Run it through npm (npm start, npm test, npm run ...), which uses the Node ${REQUIRED_MAJOR} pinned in devDependencies.\n`,
  );
  process.exit(1);
}
