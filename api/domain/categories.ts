/** 分类分项 codes and names (MOHURD 2008 分项能耗数据采集技术导则; REFERENCE §3). */

/** Chinese names of the category and sub-item codes; codes of level 01D10… are unconfirmed. */
export const CATEGORY_NAMES: Record<string, string> = {
  '01000': '电', '02000': '水', '03000': '燃气', '04000': '集中供热', '05000': '集中供冷',
  '01A00': '照明插座用电', '01A10': '照明与插座', '01A20': '走廊与应急照明', '01A30': '室外景观照明',
  '01B00': '空调用电', '01B10': '冷热站', '01B20': '空调末端',
  '01C00': '动力用电', '01C10': '电梯', '01C20': '水泵', '01C30': '通风机',
  '01D00': '特殊用电',
};

/** The category (top) code of any code: 01A10 → 01000. */
export function categoryOf(code: string): string {
  return `${code.slice(0, 2)}000`;
}

/** Level-1 sub-item of a code: 01A10 → 01A00; a category code has none. */
export function subItemOf(code: string): string | undefined {
  return code[2] === '0' ? undefined : `${code.slice(0, 3)}00`;
}

/** Whether a code is a level-2 sub-item (01A10), i.e. below a level-1 sub-item (01A00). */
export function isLevel2(code: string): boolean {
  return code[2] !== '0' && code.slice(3) !== '00';
}

/** Display name of a code, or the code itself. */
export function categoryName(code: string): string {
  return CATEGORY_NAMES[code] ?? code;
}
