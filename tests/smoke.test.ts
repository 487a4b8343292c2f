import { VERSION } from '../src/version';
test('smoke', () => { expect(VERSION).toBe('0.1.0'); });
