/** Realistic names for generated gear, gigs and people. */
export const CATEGORIES = [
  {
    category: 'Audio',
    prefixes: ['SPK', 'MIC', 'AMP', 'DI', 'MON'],
    items: [
      'Line array speaker',
      'Vocal microphone',
      'Power amplifier',
      'Active DI box',
      'Wedge monitor',
      'Subwoofer',
      'Wireless receiver',
    ],
  },
  {
    category: 'Lighting',
    prefixes: ['LX', 'MOV', 'PAR', 'HZ'],
    items: ['Moving head spot', 'LED par', 'Wash fixture', 'Hazer', 'Follow spot', 'Strobe'],
  },
  {
    category: 'Video',
    prefixes: ['LED', 'PRJ', 'CAM', 'SW'],
    items: ['LED wall tile', 'Laser projector', 'PTZ camera', 'Vision switcher', 'Media server'],
  },
  {
    category: 'Rigging',
    prefixes: ['MTR', 'TRS', 'SHK'],
    items: ['Chain motor 1t', 'Truss section 3m', 'Shackle set', 'Spanset kit', 'Beam clamp'],
  },
  {
    category: 'Power',
    prefixes: ['DST', 'CBL', 'GEN'],
    items: ['Power distro 63A', 'Powercon cable 10m', 'Generator interface', 'Socapex loom'],
  },
  { category: 'Staging', prefixes: ['DEK', 'RSR', 'STP'], items: ['Stage deck 2x1', 'Drum riser', 'Stair unit', 'Handrail'] },
  { category: 'Backline', prefixes: ['GTR', 'KBD', 'DRM', 'BAS'], items: ['Guitar amp head', 'Stage piano', 'Drum kit', 'Bass cabinet'] },
] as const;

export const BULK_CATEGORIES = ['XLR cable 10m', 'Sandbag', 'Gaffer tape', 'Cable ramp', 'Safety bond'] as const;
/** Each bulk category's shelf barcode (scan it, then CMD:QTY:<n> or a typed quantity). */
export const BULK_BARCODES: Record<(typeof BULK_CATEGORIES)[number], string> = {
  'XLR cable 10m': 'BULK-XLR10',
  Sandbag: 'BULK-SANDBAG',
  'Gaffer tape': 'BULK-GAFFER',
  'Cable ramp': 'BULK-RAMP',
  'Safety bond': 'BULK-BOND',
};

export const FESTIVAL_NAMES = [
  'Northern Lights',
  'Riverside',
  'Summer Sound',
  'Harbour Beats',
  'Midnight Sun',
  'Green Fields',
  'Coastline',
  'Skyline',
  'Old Town Jazz',
  'Forest Stage',
];
export const TOUR_ARTISTS = [
  'The Night Owls',
  'Aurora Lane',
  'Velvet Static',
  'Kite Runners',
  'Mono Harbour',
  'Paper Planes',
  'Iron & Wine Co',
  'Lumen',
];
export const VENUES = ['Main Arena', 'Hall 3', 'Riverside Park', 'Olympia', 'The Docks', 'Town Square', 'Expo Centre', 'Club Nova'];
/**
 * Where each venue is: its IANA zone, which the gig and its sets are shown in (a tour crosses
 * zones; a set at The Docks starts at 20:00 Lisbon time on any device). Not drawn at random: the
 * seed's random stream, and so its codes, names and serials, stay as they were.
 */
export const VENUE_ZONES: Readonly<Record<(typeof VENUES)[number], string>> = {
  'Main Arena': 'Europe/London',
  'Hall 3': 'Europe/Berlin',
  'Riverside Park': 'Europe/London',
  Olympia: 'Europe/Amsterdam',
  'The Docks': 'Europe/Lisbon',
  'Town Square': 'Europe/Paris',
  'Expo Centre': 'Europe/Berlin',
  'Club Nova': 'Europe/Helsinki',
};
export const STAGES = ['Main Stage', 'Second Stage', 'Tent', 'Forest Stage', 'Beach Stage', 'Club Stage', 'Acoustic Corner', 'Dome'];
export const FIRST_NAMES = [
  'Alex',
  'Sam',
  'Jo',
  'Kim',
  'Robin',
  'Charlie',
  'Noor',
  'Mika',
  'Lee',
  'Ada',
  'Ravi',
  'Eva',
  'Tom',
  'Lina',
  'Omar',
];
export const LAST_NAMES = [
  'Berg',
  'Okafor',
  'Nilsen',
  'Garcia',
  'Kowalski',
  'Tanaka',
  'Moreau',
  'Silva',
  'Novak',
  'Ahmed',
  'Fischer',
  'Quinn',
];
export const STAFF_ROLES = ['Audio', 'Lighting', 'Video', 'Rigger', 'Stagehand', 'Stage manager', 'Driver', 'Backline tech'];
