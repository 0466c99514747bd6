/**
 * The four certificate types of the mission, the departments that issue them and the automatic
 * review rules. `certchain init` writes these into genesis; operators may edit genesis before
 * starting a chain.
 */
import type { CertificateType, LocalizedText, ReviewRuleSet } from "./types.js";

const USCC = "[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}"; // GB 32100-2015 unified social credit code

/** Departments of the default genesis, in validator order. */
export const DEFAULT_DEPARTMENTS: Array<{ id: string; name: LocalizedText; certificateTypes: string[] }> = [
  {
    id: "public-security",
    name: { en: "Public Security Bureau", zh: "公安局" },
    certificateTypes: ["identity-proof"],
  },
  {
    id: "market-regulation",
    name: { en: "Market Regulation Administration", zh: "市场监督管理局" },
    certificateTypes: ["business-licence"],
  },
  {
    id: "housing",
    name: { en: "Housing and Urban-Rural Development Bureau", zh: "住房和城乡建设局" },
    certificateTypes: ["home-purchase-qualification"],
  },
  {
    id: "government-services",
    name: { en: "Government Services Administration", zh: "政务服务管理局" },
    certificateTypes: ["administrative-approval"],
  },
];

/** The certificate types of the default genesis. */
export const DEFAULT_CERTIFICATE_TYPES: CertificateType[] = [
  {
    id: "business-licence",
    name: { en: "Business Licence", zh: "营业执照" },
    defaultValidityDays: 3650,
    maxValidityDays: 10950,
    links: [{ name: "legalRepresentative", label: { en: "Legal representative (identity commitment)", zh: "法定代表人（身份承诺）" } }],
    fields: [
      { name: "enterpriseName", label: { en: "Enterprise name", zh: "企业名称" }, kind: "string", required: true, public: true, maxLength: 200 },
      {
        name: "unifiedSocialCreditCode",
        label: { en: "Unified social credit code", zh: "统一社会信用代码" },
        kind: "string",
        required: true,
        public: true,
        pattern: USCC,
      },
      { name: "enterpriseType", label: { en: "Enterprise type", zh: "企业类型" }, kind: "string", required: true, public: true, maxLength: 100 },
      { name: "registeredCapital", label: { en: "Registered capital (CNY)", zh: "注册资本（元）" }, kind: "integer", required: false, public: true },
      { name: "businessScope", label: { en: "Business scope", zh: "经营范围" }, kind: "string", required: false, public: true, maxLength: 2000 },
      { name: "address", label: { en: "Address", zh: "住所" }, kind: "string", required: true, public: true, maxLength: 300 },
      { name: "legalRepresentative", label: { en: "Legal representative", zh: "法定代表人" }, kind: "string", required: true, public: false, maxLength: 100 },
    ],
  },
  {
    id: "identity-proof",
    name: { en: "Identity Proof", zh: "身份证明" },
    defaultValidityDays: 3650,
    maxValidityDays: 7300,
    fields: [
      { name: "gender", label: { en: "Gender", zh: "性别" }, kind: "string", required: false, public: false, maxLength: 10 },
      { name: "dateOfBirth", label: { en: "Date of birth", zh: "出生日期" }, kind: "date", required: true, public: false },
      { name: "address", label: { en: "Registered address", zh: "户籍地址" }, kind: "string", required: false, public: false, maxLength: 300 },
    ],
  },
  {
    id: "home-purchase-qualification",
    name: { en: "Home-Purchase Qualification", zh: "购房资格证明" },
    defaultValidityDays: 180,
    maxValidityDays: 365,
    fields: [
      { name: "city", label: { en: "City", zh: "城市" }, kind: "string", required: true, public: true, maxLength: 100 },
      { name: "householdType", label: { en: "Household type", zh: "家庭类型" }, kind: "string", required: true, public: false, maxLength: 50 },
      { name: "maxHomes", label: { en: "Homes allowed", zh: "可购套数" }, kind: "integer", required: true, public: true },
    ],
  },
  {
    id: "administrative-approval",
    name: { en: "Administrative Approval", zh: "行政许可决定" },
    defaultValidityDays: 1095,
    maxValidityDays: 1825,
    fields: [
      { name: "matter", label: { en: "Approved matter", zh: "许可事项" }, kind: "string", required: true, public: true, maxLength: 300 },
      { name: "decisionNumber", label: { en: "Decision number", zh: "决定书文号" }, kind: "string", required: true, public: true, maxLength: 100 },
      { name: "applicant", label: { en: "Applicant", zh: "申请人" }, kind: "string", required: true, public: false, maxLength: 200 },
    ],
  },
];

/**
 * The review rules of the default genesis. A person's identity proof's holder commitment is their
 * pseudonymous handle: other departments issue to the same commitment (the citizen presents their
 * identity document, whose salt makes it), and a licence names its legal representative by it.
 */
export const DEFAULT_REVIEW_RULES: ReviewRuleSet = {
  version: "2026-11.1",
  rules: [
    {
      id: "licence-representative-identity",
      kind: "requires-valid",
      certificateType: "business-licence",
      subject: { link: "legalRepresentative" },
      requiredType: "identity-proof",
      code: "REVIEW_NO_IDENTITY_PROOF",
    },
    {
      id: "qualification-holder-identity",
      kind: "requires-valid",
      certificateType: "home-purchase-qualification",
      subject: "holder",
      requiredType: "identity-proof",
      code: "REVIEW_NO_IDENTITY_PROOF",
    },
    {
      id: "qualification-one-per-holder",
      kind: "unique-valid",
      certificateType: "home-purchase-qualification",
      subject: "holder",
      code: "REVIEW_DUPLICATE_QUALIFICATION",
    },
  ],
};
