export const x = 1; console.log("main", x);
