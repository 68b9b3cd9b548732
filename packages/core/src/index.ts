export const coreVersion = '0.1.0';
