// Demo accounts. Only scrypt hashes are stored here; the passwords (`<name>-demo`) are listed in
// examples/chat/README.md because this is a demonstration, and a test proves the two agree.
export type Role = 'user' | 'moderator' | 'admin';

export interface DemoUser {
  readonly name: string;
  readonly roles: readonly Role[];
  /** `scrypt$N$r$p$salt$hash`, salt and hash base64url. */
  readonly passwordHash: string;
  /** Run by `npm start` as a bot, not meant for people. */
  readonly bot?: boolean;
}

export const DEMO_USERS: readonly DemoUser[] = [
  { name: 'alice', roles: ['user'], passwordHash: 'scrypt$16384$8$1$9tJGdCdpCtvX9yv0PBy-Qg$b96ZFH4GycNZsBfPDz1K-Uxi3Va6BZOS02RZqMLj7lI' },
  { name: 'bob', roles: ['user'], passwordHash: 'scrypt$16384$8$1$b_UfVeCPX6UZR2FOpo4jKQ$1AAtBXJfYlVDZF2IbGf65IdhQJHUvRpD5uG3gsuEkXE' },
  { name: 'carol', roles: ['user'], passwordHash: 'scrypt$16384$8$1$ZL4Jt8GWb1QGuNZbCZgAjQ$zMWiCYvnFI7uRQ96mWFcTYho4uBLUwrmgWsmHev9H2U' },
  { name: 'maya', roles: ['user', 'moderator'], passwordHash: 'scrypt$16384$8$1$7o6mdF6DBpDVoe5Lk0Fh5g$goNlgu5P0mgZZszlI2kQRFKps3oPqHG3gSBOBnd2Xy8' },
  { name: 'ada', roles: ['user', 'moderator', 'admin'], passwordHash: 'scrypt$16384$8$1$cnVdoArE8FgDZ3Skh31hbA$MIL2TP1gdjYgbpOp7K5y6nPAZOfVp6FtNe7we6jJuNk' },
  { name: 'greeter', roles: ['user'], bot: true, passwordHash: 'scrypt$16384$8$1$AtT-blBICR45MKyr_Ogaeg$vpjeo3l28YnqXWEHxSz5hRbo-VW9Wt5I3QIYIzku4o8' },
  { name: 'modbot', roles: ['user', 'moderator'], bot: true, passwordHash: 'scrypt$16384$8$1$kL8aSxw6vlP91eIcADPtkQ$A4DznGVIsEgA_45yHsWz9muuhLdvKzwBNa29ZKEHi6E' },
  { name: 'mallory', roles: ['user'], bot: true, passwordHash: 'scrypt$16384$8$1$j_MnuzOAXIPN49MXfd607Q$HxotHwPNgzbh9qUk-qXIZuil9hdabGzOIh8O7gezhc8' },
];
