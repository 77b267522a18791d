// Types of bench/cpu-profile.mjs (plain JavaScript: see there why).
export declare const CPU_PROFILE_DIR_ENV: string
