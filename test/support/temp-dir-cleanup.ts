import { afterAll } from 'vitest';
import { removeTempDirs } from './temp-dir.ts';

// A vitest setup file: runs before every test file, so this hook belongs to each file's root suite and runs after
// the file's own afterAll hooks (which may still stop a process that uses the folder).
afterAll(() => {
  removeTempDirs();
});
