-- AlterTable
ALTER TABLE "mini_program" ADD COLUMN     "picture_url" TEXT,
ALTER COLUMN "token" DROP NOT NULL;

-- CreateTable
CREATE TABLE "wechat_component" (
    "app_id" TEXT NOT NULL,
    "verify_ticket" TEXT NOT NULL,
    "ticket_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "wechat_component_pkey" PRIMARY KEY ("app_id")
);

-- CreateTable
CREATE TABLE "component_authorizer" (
    "id" BIGSERIAL NOT NULL,
    "app_id" TEXT NOT NULL,
    "component_app_id" TEXT NOT NULL,
    "refresh_token" TEXT,
    "func_info" JSONB NOT NULL DEFAULT '[]',
    "authorized" BOOLEAN NOT NULL DEFAULT true,
    "authorized_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "unauthorized_at" TIMESTAMPTZ(3),
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "component_authorizer_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "component_authorizer_app_id_key" ON "component_authorizer"("app_id");

