/** contract.md "Output": the name of reduce partition `p`'s file, `part-00000` ... `part-(R-1)`. */
export function partName(partition: number): string {
  return `part-${String(partition).padStart(5, '0')}`;
}
