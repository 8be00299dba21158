import { alertSettingsFrom } from "../../config/server-settings";
import type { SendEmail } from "./email-message";
import { smtpSendEmail } from "./smtp-send-email";

/** The server's SMTP channel (GPU_ROI_SMTP_*), or undefined when none is configured: alert notices and the chargeback report share it. */
export function serverSendEmail(): SendEmail | undefined {
  const smtp = alertSettingsFrom().smtp;
  return smtp ? smtpSendEmail(smtp) : undefined;
}
