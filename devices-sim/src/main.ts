process.stderr.write('telemq-sim: not built yet\n');
process.exit(1);
