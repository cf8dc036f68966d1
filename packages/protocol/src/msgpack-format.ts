// The MessagePack type bytes this project writes by hand (msgpack-writer.ts
// and the client's request templates), named after the format's
// specification, so that no byte is a bare number in the code.

export const FIXMAP = 0x80;
export const FIXARRAY = 0x90;
export const FIXSTR = 0xa0;
export const NIL = 0xc0;
export const FALSE = 0xc2;
export const TRUE = 0xc3;
export const FLOAT64 = 0xcb;
export const UINT8 = 0xcc;
export const UINT16 = 0xcd;
export const UINT32 = 0xce;
export const UINT64 = 0xcf;
export const INT32 = 0xd2;
export const INT64 = 0xd3;
export const STR8 = 0xd9;
export const STR16 = 0xda;
export const STR32 = 0xdb;
export const ARRAY16 = 0xdc;
export const MAP16 = 0xde;

/** 2^32: a 64-bit integer is written as its high and low 32-bit words. */
export const TWO_32 = 4294967296;
