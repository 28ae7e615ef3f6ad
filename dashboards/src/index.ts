/**
 * Every board and the file it is written to under dashboards/boards/ (a folder per Grafana folder, decision
 * 0408). `npm run boards` writes them; test/boards-fresh.test.ts fails when a committed file differs.
 */
import type { DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { buildingBoard } from './boards/building.ts';
import { contractsBoard } from './boards/contracts.ts';
import { hvacBoard } from './boards/hvac.ts';
import { portfolioBoard } from './boards/portfolio.ts';
import { pvBoard } from './boards/pv.ts';
import { techniciansBoard } from './boards/technicians.ts';

export const BOARDS: { file: string; build: () => DashboardBuilder }[] = [
  { file: '能源管理/overview.json', build: portfolioBoard },
  { file: '能源管理/building.json', build: buildingBoard },
  { file: '能源管理/pv.json', build: pvBoard },
  { file: '能源管理/hvac.json', build: hvacBoard },
  { file: '能源管理/contracts.json', build: contractsBoard },
  { file: '运维/technicians.json', build: techniciansBoard },
];

/** The JSON text of every board, as committed. */
export function renderBoards(): { file: string; text: string }[] {
  return BOARDS.map(({ file, build }) => ({ file, text: `${JSON.stringify(build().build(), null, 2)}\n` }));
}
