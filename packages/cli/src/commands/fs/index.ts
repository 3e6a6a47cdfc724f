import { Command } from 'commander';
import type { Io } from '../../io.js';
import { masterOption } from '../../options.js';
import { catCommand } from './cat.js';
import { cpCommand } from './cp.js';
import { duCommand } from './du.js';
import { getCommand } from './get.js';
import { getmergeCommand } from './getmerge.js';
import { lsCommand } from './ls.js';
import { mkdirCommand } from './mkdir.js';
import { mvCommand } from './mv.js';
import { putCommand } from './put.js';
import { rmCommand } from './rm.js';
import { statCommand } from './stat.js';
import { tailCommand } from './tail.js';

/**
 * `mr fs`: files in the block store (bs://), S3 (s3://) and on the local disk, one module per verb.
 * What differs between the stores is in locations.ts, so each verb reads the same for all three.
 */
export function fsCommand(io: Io): Command {
  const fs = new Command('fs')
    .description('files in the block store (bs://), S3 (s3://) and local paths: put, get, getmerge, cat, tail, ls, du, stat, rm, mkdir, mv, cp')
    .addOption(masterOption('the master, for bs:// locations'));
  for (const verb of [putCommand, getCommand, getmergeCommand, catCommand, tailCommand, lsCommand, duCommand, statCommand, rmCommand, mkdirCommand, mvCommand, cpCommand]) {
    fs.addCommand(verb(io));
  }
  return fs;
}
