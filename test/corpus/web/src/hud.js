let x = 2;
x = x;
export const y = 3
