/**
 * Who is an administrator now, according to the user directory (not the token). A token's `admin` claim is true
 * until the token expires (an hour on Cognito); asking the directory is how removing someone from the admin group
 * takes effect within a minute instead (see AdminCheck).
 */
export interface AdminDirectory {
  isAdmin(userId: string): Promise<boolean>;
}
